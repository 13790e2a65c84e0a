"""`newswatch stories`: stories with their article count and the outlets that carried them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from newswatch.cli.common import config_option, load, main
from newswatch.cli.export import parse_since
from newswatch.storage import Storage

if TYPE_CHECKING:
    from newswatch.stories.listing import StorySummary


@main.command()
@config_option
@click.option("--since", metavar="DATE", help="Only stories with an article published (or fetched) on or after DATE.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of text.")
def stories(config_path: str | None, since: str | None, as_json: bool) -> None:
    """List stories, latest first: copies, near-duplicates and retellings of one report.

    \b
    Example:
      newswatch stories --since 2023-02-01
      newswatch stories --json | jq '.[] | select(.articles > 1)'
    """
    from newswatch.stories.index import StoryIndex  # imports numpy: only for this command
    from newswatch.stories.listing import list_stories

    config = load(config_path)
    moment = parse_since(since)
    storage = Storage(config.storage.database)
    try:
        StoryIndex(storage.db, config.stories)  # creates the tables in a database no crawl has filled yet
        found = list_stories(storage.db, moment)
    finally:
        storage.close()
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
    elif not found:
        click.echo("no stories" + (f" since {since}" if since else ""))
    else:
        click.echo("\n".join(_describe(s) for s in found))


def _describe(story: StorySummary) -> str:
    span = f"{story.first:%Y-%m-%d}" + (f" to {story.last:%Y-%m-%d}" if story.last.date() != story.first.date() else "")
    noun = "article" if story.articles == 1 else "articles"
    outlets = ", ".join(story.outlets)
    return f"{story.story_id}  {story.articles} {noun}, {span}\n  {story.title}\n  outlets: {outlets}\n"
