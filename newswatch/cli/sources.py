"""`newswatch sources import|list|show`: bring a feed reader's OPML export in, see what is declared where,
and what one source's template memory learned."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tabulate import tabulate

from newswatch.cli.common import config_option, load, main
from newswatch.config import Config, SourceConfig
from newswatch.config import config_path as config_path_of
from newswatch.configreader import format_duration
from newswatch.sourceimport import ImportResult, import_sources
from newswatch.storage import Storage
from newswatch.templatememory import SourceTemplate, TemplateStore


@main.group()
def sources() -> None:
    """Import sources from a feed reader's OPML export, list the declared sources, show one of them.

    \b
    Example:
      newswatch sources import subscriptions.opml
      newswatch sources list --tag Korea
      newswatch sources show nknews
    """


@sources.command("import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The TOML sources file to write (default: sources.toml beside the config file).")
@click.option("--force", is_flag=True, help="Overwrite the sources file if it exists.")
def import_command(config_path: str | None, file: Path, target: Path | None, force: bool) -> None:
    """Write the feeds of an OPML (or TOML) file as a TOML sources file, one [[sources]] per feed.

    Folders and categories become tags; a feed listed twice becomes one source. config.toml is
    never rewritten: the command prints the `sources_file` line to add when it is missing.
    Names that config.toml already uses get a number (nknews -> nknews-2).

    \b
    Example:
      newswatch sources import subscriptions.opml
      newswatch sources import subscriptions.opml --to feeds/sources.toml --force
    """
    config = config_path_of(config_path)
    result = import_sources(file, target or config.parent / "sources.toml", config, force=force)
    for line in _import_report(result, config):
        click.echo(line)


def _import_report(result: ImportResult, config: Path) -> list[str]:
    lines = [f"{_count(len(result.sources), 'source')} written to {result.target}"]
    if result.duplicates:
        lines.append(f"{_count(len(result.duplicates), 'duplicate feed URL')} merged (one source each, tags joined):")
        lines += [f"  line {d.line} = line {d.first_line}: {d.xml_url}" for d in result.duplicates]
    if result.renamed:
        lines.append(f"{_count(len(result.renamed), 'source')} renamed, as {config.name} already declares the names:")
        lines += [f"  {r.old} -> {r.new} ({r.location})" for r in result.renamed]
    wanted = result.sources_file_line
    if result.config_sources_file is None:
        lines.append(f"add this line at the top of {config} (before any [table]): {wanted}")
    elif not result.config_reads_target:
        lines.append(f"{config} reads sources_file = {result.config_sources_file!r}; to use the new file: {wanted}")
    else:
        lines.append(f"{config} already reads it")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@sources.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON array, one source a line, for scripts.")
@click.option("--tag", default=None, help="Only sources with this tag or a folder below it (Korea: also Korea/Analysis).")
def list_command(config_path: str | None, as_json: bool, tag: str | None) -> None:
    """List the sources: feeds, schedule, enabled, tags, and the file that declares each.

    \b
    Example:
      newswatch sources list --tag Korea
      newswatch sources list --json | jq -r '.[] | select(.enabled | not) | .name'
    """
    config = load(config_path)
    chosen = [s for s in config.sources if tag is None or s.tagged(tag)]
    if as_json:
        records = [json.dumps(_record(s, config), ensure_ascii=False) for s in chosen]
        click.echo("[\n" + ",\n".join(records) + "\n]" if records else "[]")
        return
    rows = [_row(s, config) for s in chosen]
    click.echo(tabulate(rows, headers=("source", "urls", "schedule", "enabled", "tags", "declared in")))
    click.echo(f"\n{len(chosen)} of {len(config.sources)} sources" if tag else f"\n{len(chosen)} sources")


def _record(source: SourceConfig, config: Config) -> dict:
    return {
        "name": source.name,
        "feeds": list(source.feeds),
        "sitemaps": list(source.sitemaps),
        "pages": list(source.pages),
        "every": None if source.cron else format_duration(source.every),
        "cron": source.cron,
        "enabled": source.enabled,
        "tags": list(source.tags),
        "declared_in": config.declared_in(source),
    }


def _row(source: SourceConfig, config: Config) -> tuple:
    urls = source.start_urls
    first = urls[0] if urls else "-"
    return (
        source.name,
        first if len(urls) == 1 else f"{first} (+{len(urls) - 1})",
        source.schedule,
        "yes" if source.enabled else "no",
        ", ".join(source.tags),
        config.declared_in(source),
    )


@sources.command("show")
@config_option
@click.argument("name")
def show_command(config_path: str | None, name: str) -> None:
    """Show one source: its settings, and the lines and element shapes its template memory learned.

    Template memory drops from a source's pages the lines that recur on its pages and the slots
    whose text changes but always links to other stories; `template_memory = false` turns it off.

    \b
    Example:
      newswatch sources show nknews
    """
    config = load(config_path)
    source = config.source(name)
    for key, value in _record(source, config).items():
        click.echo(f"{key + ':':<16} {_value(value)}")
    click.echo(f"{'follow:':<16} {source.follow.pattern if source.follow else '-'}")
    click.echo(f"{'template_memory:':<16} {'on' if source.template_memory else 'off'}")
    click.echo("")
    if not source.template_memory:
        click.echo("template memory is off for this source: nothing is learned from its pages or dropped from them")
        return
    if not config.storage.database.exists():
        click.echo(f"template memory: nothing learned yet ({config.storage.database} does not exist)")
        return
    storage = Storage(config.storage.database)
    try:
        report = TemplateStore(storage).report(source.name)
    finally:
        storage.close()
    for line in _template_report(report):
        click.echo(line)


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


def _template_report(report: SourceTemplate) -> list[str]:
    lines = [
        f"template memory: {_count(report.pages, 'page')} seen; {_count(len(report.lines), 'line')} and "
        f"{_count(len(report.shapes), 'shape')} learned, {report.candidates} more counted"
    ]
    for title, learned in (("learned lines", report.lines), ("learned shapes", report.shapes)):
        if learned:
            lines.append(f"{title} (pages, last seen):")
            lines += [f"  {item.pages:>4}  {item.last_seen}  {item.text}" for item in learned]
    return lines
