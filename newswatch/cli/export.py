"""`newswatch export`: stored articles as JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime, timezone
from typing import IO

import click

from newswatch.cli.common import config_option, load, main
from newswatch.storage import Storage

FIELDS = (
    "url",
    "canonical_url",
    "source",
    "title",
    "text",
    "author",
    "published",
    "language",
    "fetched",
    "categories",
    "rules",
    "story_id",
    "duplicate_of",
    "also_reported_by",
)


def parse_since(value: str | None) -> datetime | None:
    """A date or date-time from --since; naive values are taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date such as 2023-02-01", param_hint="--since")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--since", metavar="DATE", help="Only articles published (or fetched) on or after DATE.")
@click.option("--output", "-o", metavar="FILE", type=click.Path(dir_okay=False), help="Write here, not to stdout.")
@click.option("--include-duplicates", is_flag=True, help="Also copies and second URLs, each with duplicate_of.")
def export(config_path: str | None, fmt: str, since: str | None, output: str | None, include_duplicates: bool) -> None:
    """Export one record per stored article.

    \b
    Example:
      newswatch export --format csv --since 2023-02-01 -o articles.csv
    """
    config = load(config_path)
    moment = parse_since(since)
    storage = Storage(config.storage.database)
    try:
        rows = storage.iter_articles(moment, include_duplicates)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                write_records(rows, fmt, out)
        else:
            write_records(rows, fmt, sys.stdout)
    finally:
        storage.close()


def write_records(rows, fmt: str, out: IO[str]) -> None:
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            lists = {key: ",".join(row[key]) for key in ("categories", "rules", "also_reported_by")}
            writer.writerow({**row, **lists})
        return
    for row in rows:
        out.write(json.dumps({k: row.get(k) for k in FIELDS}, ensure_ascii=False) + "\n")
