"""`newswatch crawl`: fetch every source once and print a summary per source."""

from __future__ import annotations

import sys

import click

from newswatch.cli.common import config_option, load, log_level_option, main
from newswatch.errors import NewswatchError
from newswatch.models import SourceStats


@main.command()
@config_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@log_level_option("WARNING", "Scrapy's log level.")
@click.option("--quiet", is_flag=True, help="No progress line.")
def crawl(config_path: str | None, sources: tuple[str, ...], log_level: str, quiet: bool) -> None:
    """Fetch every configured source once and store the new articles.

    Already fetched article URLs are never fetched again; feeds, sitemaps and
    section pages are re-fetched with conditional GET. Exit status 0 when the
    crawl ran (failed sources are listed), 1 when every source failed.

    \b
    Example:
      newswatch crawl --config config.toml --source dailynk
    """
    config = load(config_path)
    if config.crawl.extraction_workers:
        from crawler.pool import boot_fork_server

        boot_fork_server()  # before the imports below: it warms up on another core meanwhile
    from crawler.run import crawl as run_crawl

    show = None if quiet or not sys.stderr.isatty() else _progress_line
    result = run_crawl(config, list(sources) or None, progress=show, log_level=log_level.upper())
    if show:
        click.echo("", err=True)
    click.echo(summary_table(result.stats))
    if result.all_failed:
        raise NewswatchError("every source failed; see the table above")


def _progress_line(report: dict[str, SourceStats]) -> None:
    fetched = sum(s.fetched for s in report.values())
    new = sum(s.new_articles for s in report.values())
    errors = sum(sum(s.errors.values()) for s in report.values())
    click.echo(f"\rcrawling {len(report)} source(s): {fetched} fetched, {new} new, {errors} errors ", nl=False, err=True)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())) or "-"


def summary_table(report: dict[str, SourceStats]) -> str:
    """One row per source: pages fetched, new articles, matches, skipped and errors by reason."""
    header = ("source", "status", "fetched", "new", "dup", "matched", "304", "known", "skipped", "errors")
    rows = [header]
    for name, s in report.items():
        status = "stopped" if s.stopped else "ok" if s.ok else "FAILED"
        rows.append(
            (
                name,
                status,
                str(s.fetched),
                str(s.new_articles),
                str(s.duplicates),
                str(s.matched),
                str(s.not_modified),
                str(s.known),
                _counts(s.skipped),
                _counts(s.errors),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    failures = [f"  {name}: {s.message}" for name, s in report.items() if not s.ok and s.message]
    return "\n".join(lines + (["failed sources:"] + failures if failures else []))
