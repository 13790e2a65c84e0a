"""`newswatch stories`: stories with their article count and outlets; `stories show ID`: why they are one story."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from newswatch.cli.common import config_option, load, main
from newswatch.cli.export import parse_since
from newswatch.errors import UsageError
from newswatch.storage import Storage

if TYPE_CHECKING:
    from newswatch.config import Config
    from newswatch.stories.listing import StoryMember, StorySummary


@main.group(invoke_without_command=True)
@config_option
@click.option("--since", metavar="DATE", help="Only stories with an article published (or fetched) on or after DATE.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of text.")
@click.pass_context
def stories(ctx: click.Context, config_path: str | None, since: str | None, as_json: bool) -> None:
    """List stories, latest first: copies, near-duplicates and retellings of one report, in any language.

    \b
    Example:
      newswatch stories --since 2023-02-01
      newswatch stories --json | jq '.[] | select(.articles > 1)'
      newswatch stories show story-12       # each article, and the evidence that joined it
    """
    if ctx.invoked_subcommand is not None:
        return
    from newswatch.stories.listing import list_stories

    config = load(config_path)
    moment = parse_since(since)
    found = _read(config, lambda db: list_stories(db, moment))
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
    elif not found:
        click.echo("no stories" + (f" since {since}" if since else ""))
    else:
        click.echo("\n".join(_describe(s) for s in found))


@stories.command()
@click.argument("story_id", metavar="ID")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def show(story_id: str, config_path: str | None, as_json: bool) -> None:
    """Show one story: each article, and what joined it (shared names, figures, quotes, source, score).

    \b
    Example:
      newswatch stories show story-12
      newswatch stories show story-12 --json | jq '.articles[].evidence.score'
    """
    from newswatch.stories.listing import merged_into, story_members

    config = load(config_path)
    members, into = _read(config, lambda db: (story_members(db, story_id), merged_into(db, story_id)))
    if not members:
        hint = f"; it was merged into {into}" if into else " (newswatch stories lists them)"
        raise UsageError(f"no story {story_id!r}{hint}")
    if as_json:
        document = {"story_id": story_id, "articles": [m.to_dict() for m in members]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{story_id}  {len(members)} article(s)\n")
        click.echo("\n".join(_member(m) for m in members))


def _read(config: Config, query):
    from newswatch.stories.index import StoryIndex  # imports numpy: only for these commands

    storage = Storage(config.storage.database)
    try:
        StoryIndex(storage.db, config.stories)  # creates the tables in a database no crawl has filled yet
        return query(storage.db)
    finally:
        storage.close()


def _member(member: StoryMember) -> str:
    head = f"{member.at:%Y-%m-%d %H:%M}  {member.source}  [{member.language or '?'}]  {member.title}\n  {member.url}"
    return f"{head}\n{_evidence(member.evidence)}\n"


def _evidence(evidence: dict) -> str:
    """The reasons an article joined its story, one per line."""
    if not evidence:
        return "  started the story"
    if "started" in evidence:
        return f"  started {evidence['started']}, merged into this story by article {evidence['merged_by_article']}"
    if "copy_of" in evidence:
        return f"  the same text as article {evidence['copy_of']}"
    lines = [f"  joined with article {evidence['with_article']}, score {evidence['score']}"]
    if evidence["near_duplicate"]:
        lines.append(f"  near-duplicate: estimated Jaccard similarity {evidence['jaccard']}")
    if evidence["shared_phrases"]:
        lines.append(f"  shared phrase fingerprints: {evidence['shared_phrases']}")
    if evidence.get("quotes"):
        lines += ["  shared quotes:", *(f"    “{quote}”" for quote in evidence["quotes"])]
    for key, label in (
        ("numbers", "shared figures"),
        ("dates", "shared dates"),
        ("sources", "cited source"),
        ("entities", "shared names"),
        ("common", "also named"),
    ):
        if evidence.get(key):
            lines.append(f"  {label}: {', '.join(evidence[key])}")
    if evidence.get("title_similarity"):
        lines.append(f"  headline similarity: {evidence['title_similarity']}")
    lines.append(f"  published {evidence['hours_apart']} h apart")
    if evidence.get("merged"):
        lines.append(f"  merged stories {', '.join(evidence['merged'])} into this one")
    return "\n".join(lines)


def _describe(story: StorySummary) -> str:
    span = f"{story.first:%Y-%m-%d}" + (f" to {story.last:%Y-%m-%d}" if story.last.date() != story.first.date() else "")
    noun = "article" if story.articles == 1 else "articles"
    outlets = ", ".join(story.outlets)
    return f"{story.story_id}  {story.articles} {noun}, {span}\n  {story.title}\n  outlets: {outlets}\n"
