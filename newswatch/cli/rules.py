"""`newswatch rules test|check` and `newswatch rescan`: try, validate and re-apply keyword rules."""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import click

from newswatch.cli.common import config_option, load, main
from newswatch.config import Config
from newswatch.errors import NewswatchError
from newswatch.models import Document, Skip
from newswatch.rules.engine import NOTHING_FOUND, Matcher, Verdict
from newswatch.storage import Storage

FETCH_TIMEOUT = 15.0  # seconds; `rules test` is interactive, a slow site should not hang it
RESCAN_BATCH = 500


@main.group()
def rules() -> None:
    """Check the keyword rules and try them on articles.

    \b
    Example:
      newswatch rules check --config config.toml
      newswatch rules test article.html https://example.org/news/1
    """


@rules.command("test")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line, in input order.")
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
def test_command(config_path: str | None, as_json: bool, inputs: tuple[str, ...]) -> None:
    """Show which rules fire on HTML or text files or URLs, with the terms found and snippets.

    HTML goes through the same extraction as crawled pages. A text file's first line is its title.
    Exits 1 if an input could not be read (the others are still shown).

    \b
    Example:
      newswatch rules test saved-page.html notes.txt
      newswatch rules test --json https://example.org/news/1 | jq .categories
    """
    config = load(config_path)
    matcher = Matcher(config.rules)
    failed = False
    for source in inputs:
        try:
            document = read_input(source, config)
        except NewswatchError as exc:
            failed = True
            _report_failure(source, str(exc), as_json)
            continue
        if isinstance(document, Skip):
            failed = True
            _report_failure(source, f"extraction skipped the page ({document.reason})", as_json)
            continue
        verdicts = matcher.explain(document.title, document.text)
        if as_json:
            click.echo(json.dumps(_verdicts_json(source, verdicts), ensure_ascii=False))
        else:
            _print_verdicts(source, document, verdicts)
    if failed:
        sys.exit(1)


@rules.command("check")
@config_option
def check_command(config_path: str | None) -> None:
    """Validate the rules and summarise them per category, language and field.

    \b
    Example:
      newswatch rules check --config config.toml
    """
    config = load(config_path)
    if not config.rules:
        click.echo(f"{config.path}: no rules: matching is off")
        return
    click.echo(f"{config.path}: {len(config.rules)} rules OK")
    languages: dict[str, set[str]] = {}
    for rule in config.rules:
        languages.setdefault(rule.category, set()).add(rule.language or "-")
    per_category = Counter(rule.category for rule in config.rules)
    click.echo(f"\n{'category':<14}{'rules':>5}  languages")
    for category in sorted(per_category):
        click.echo(f"{category:<14}{per_category[category]:>5}  {' '.join(sorted(languages[category]))}")
    per_language = Counter(rule.language or "-" for rule in config.rules)
    click.echo("\nlanguages: " + ", ".join(f"{lang} {n}" for lang, n in sorted(per_language.items())))
    per_fields = Counter("+".join(rule.fields) for rule in config.rules)
    click.echo("fields: " + ", ".join(f"{fields} {n}" for fields, n in sorted(per_fields.items())))
    nearness = Counter(
        "anywhere" if r.near is None else f"within {r.near.words} words" if r.near.words else "same sentence"
        for r in config.rules
    )
    click.echo("proximity: " + ", ".join(f"{kind} {n}" for kind, n in sorted(nearness.items())))


@main.command("rescan")
@config_option
def rescan_command(config_path: str | None) -> None:
    """Re-apply the current rules to every stored article, without fetching anything.

    Replaces each article's stored matches (duplicates are left to their originals). Rescan
    raises no alerts: it only updates what `export` and `status` show.

    \b
    Example:
      newswatch rescan --config config.toml
    """
    config = load(config_path)
    if not config.storage.database.exists():
        raise NewswatchError(f"{config.storage.database}: no database yet; run `newswatch crawl` first")
    result = rescan(Storage(config.storage.database), Matcher(config.rules))
    click.echo(
        f"Rescanned {result.articles} articles with {len(config.rules)} rules: {result.matched} match "
        f"(before: {result.matched_before}), {result.changed} changed. No alerts were raised."
    )


@dataclass(frozen=True)
class RescanResult:
    articles: int
    matched: int
    matched_before: int
    changed: int


def rescan(storage: Storage, matcher: Matcher) -> RescanResult:
    """Replace the matches of every original stored article with what `matcher` finds now."""
    articles = matched = matched_before = changed = 0
    last_id = 0
    while True:
        batch = list(
            storage.db.query(
                "select id, title, text from articles where duplicate_of is null and id > ? order by id limit ?",
                [last_id, RESCAN_BATCH],
            )
        )
        if not batch:
            return RescanResult(articles, matched, matched_before, changed)
        ids = [row["id"] for row in batch]
        marks = ",".join("?" * len(ids))
        before: dict[int, set[str]] = {}
        for row in storage.db.query(f"select article_id, rule from matches where article_id in ({marks})", ids):
            before.setdefault(row["article_id"], set()).add(row["rule"])
        with storage.transaction():
            for row in batch:
                matches = matcher.match(row["title"], row["text"])
                storage.save_matches(row["id"], matches)
                now = {m.rule for m in matches}
                articles += 1
                matched += bool(now)
                matched_before += row["id"] in before
                changed += now != before.get(row["id"], set())
        last_id = ids[-1]


# -- reading inputs -------------------------------------------------------------


def read_input(source: str, config: Config) -> Document | Skip:
    """The article in a file or at a URL: HTML through the extractor, plain text as title + body."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        body, content_type, url = _fetch(source, config)
    else:
        path = Path(source)
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise NewswatchError(f"cannot read: {exc.strerror or exc}") from None
        content_type = "text/html" if path.suffix.lower() in (".html", ".htm", ".xhtml") else ""
        url = path.resolve().as_uri()
    charset = _charset(content_type) or "utf-8"
    text = body.decode(charset, errors="replace")
    if "html" in content_type or (not content_type.startswith("text/plain") and _looks_like_html(text)):
        return _extract(text, url, config)
    title, _, rest = text.strip().partition("\n")
    return Document(title=title.strip(), text=rest.strip())


def _fetch(url: str, config: Config) -> tuple[bytes, str, str]:
    request = urllib.request.Request(url, headers={"User-Agent": config.crawl.user_agent})
    try:
        with urllib.request.urlopen(request, timeout=min(FETCH_TIMEOUT, config.crawl.timeout)) as response:
            body = response.read(config.crawl.max_page_bytes + 1)
            if len(body) > config.crawl.max_page_bytes:
                raise NewswatchError(f"larger than crawl.max_page_bytes ({config.crawl.max_page_bytes})")
            return body, response.headers.get("Content-Type", ""), response.geturl()
    except urllib.error.HTTPError as exc:
        raise NewswatchError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NewswatchError(f"cannot fetch: {reason}") from None


def _charset(content_type: str) -> str | None:
    message = Message()
    message["Content-Type"] = content_type
    return message.get_content_charset()


def _looks_like_html(text: str) -> bool:
    return bool(re.match(r"\s*(<!doctype html|<html|<head|<body|<article|<meta)", text[:2000], re.IGNORECASE))


def _extract(html: str, url: str, config: Config) -> Document | Skip:
    try:
        from extractors.article import Extractor
    except ImportError as exc:
        raise NewswatchError(f"HTML extraction is not available: {exc}") from None
    return Extractor(config.extraction).extract(html, url)


# -- printing ---------------------------------------------------------------------


def _report_failure(source: str, message: str, as_json: bool) -> None:
    if as_json:
        record = {"input": source, "matched": False, "categories": [], "rules": [], "error": message}
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        click.echo(f"{source}: {message}", err=True)


def _verdicts_json(source: str, verdicts: list[Verdict]) -> dict:
    matches = [v.match for v in verdicts if v.match is not None]
    return {
        "input": source,
        "matched": bool(matches),
        "categories": sorted({m.category for m in matches}),
        "rules": [
            {"name": m.rule, "category": m.category, "score": m.score, "terms": list(m.terms), "snippet": m.snippet}
            for m in matches
        ],
    }


def _print_verdicts(source: str, document: Document, verdicts: list[Verdict]) -> None:
    categories = sorted({v.match.category for v in verdicts if v.match is not None})
    click.echo(f"== {source}: " + (f"MATCHED {', '.join(categories)}" if categories else "no match"))
    click.echo(f"   title: {document.title}")
    quiet = sum(v.reason == NOTHING_FOUND for v in verdicts)
    for verdict in verdicts:
        rule = verdict.rule
        if verdict.reason == NOTHING_FOUND:
            continue
        if verdict.match is None:
            click.echo(f"   [ -- ] {rule.name} ({rule.category}): {verdict.reason}")
            continue
        click.echo(f"   [FIRE] {rule.name} ({rule.category}): {verdict.reason}")
        places: dict[tuple[str, str], list[str]] = {}
        for hit in verdict.match.hits:
            places.setdefault((hit.term, hit.group), []).append(f"{hit.field} {hit.start}-{hit.end}")
        for (term, group), where in places.items():
            shown = ", ".join(where[:5]) + (f", … ({len(where)} in all)" if len(where) > 5 else "")
            click.echo(f"          {term!r} [{group}] at {shown}")
        click.echo(f"          snippet: {verdict.match.snippet}")
    if quiet:
        click.echo(f"   ({quiet} other rules found none of their terms)")
