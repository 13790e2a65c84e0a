"""`newswatch status`: each source's last run, failures and next run, and the alerts waiting to go out."""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlite_utils
from tabulate import tabulate

from alerts import outbox
from newswatch.daemon import state
from newswatch.cli.common import config_option, load, main
from newswatch.config import Config, SourceConfig
from newswatch.errors import NewswatchError
from newswatch.daemon.health import new_articles_since, source_histories
from newswatch.stories.listing import list_stories
from newswatch.models import utcnow
from newswatch.storage import iso


STATES = ("ok", "failing", "running", "never_run", "disabled")
TABLE_UP_TO = 20  # more sources than this: the summary, unless --all
FAILING_SHOWN = 20  # failing sources listed by the human summary (JSON has them all)
NEXT_DUE = 5


@dataclass(frozen=True)
class SourceStatus:
    name: str
    state: str  # one of STATES
    enabled: bool
    last_run: str | None
    last_run_ok: bool | None
    last_success: str | None
    new_articles_24h: int
    consecutive_failures: int
    next_run: str | None
    running_since: str | None
    message: str


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@click.option("--source", "source_name", metavar="NAME", default=None, help="Only this source, in detail.")
@click.option("--all", "show_all", is_flag=True, help=f"The full table even with more than {TABLE_UP_TO} sources.")
def status(config_path: str | None, as_json: bool, source_name: str | None, show_all: bool) -> None:
    """Show each source's last run, last success, new articles in the last 24 h,
    consecutive failures and next run, and how many alerts are pending or failed.

    With more than 20 sources it shows a summary instead of the table: sources by state,
    the failing ones (worst first) and the next due. Safe to run while the daemon is
    writing to the database.

    \b
    Example:
      newswatch status --config config.toml
      newswatch status --source nknews
      newswatch status --json | jq '.summary.failing[].name'
    """
    config = load(config_path)
    chosen = None if source_name is None else config.source(source_name)
    database = config.storage.database
    if not database.exists():
        raise NewswatchError(f"{database}: no database yet; start the daemon with `newswatch run` or crawl once")
    now = utcnow()
    with state.reading(database) as db:
        report = status_report(db, config, now, only=chosen)
    if chosen is not None:
        one = report["sources"][0]
        click.echo(json.dumps(one, indent=2) if as_json else render_source(one, chosen, config, now))
    elif as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render(report, now, table=show_all or len(report["sources"]) <= TABLE_UP_TO))


def status_report(db: sqlite_utils.Database, config: Config, now: datetime, only: SourceConfig | None = None) -> dict:
    """Everything `status` shows, as plain JSON-ready data; a handful of queries, however many sources."""
    daemon = state.read_daemon(db)
    running = daemon is not None and daemon.running(now)
    schedule = state.read_schedule(db) if running else {}
    wanted = config.sources if only is None else (only,)
    histories = source_histories(db, (source.name for source in wanted))
    new = new_articles_since(db, now - timedelta(days=1))
    sources = []
    for source in wanted:
        history = histories[source.name]
        planned = schedule.get(source.name)
        running_since = planned.running_since if planned else None
        sources.append(
            SourceStatus(
                name=source.name,
                state=_state(source.enabled, history.failures, running_since, history.last_run),
                enabled=source.enabled,
                last_run=iso(history.last_run),
                last_run_ok=history.last_ok,
                last_success=iso(history.last_success),
                new_articles_24h=new.get(source.name, 0),
                consecutive_failures=history.failures,
                next_run=iso(planned.next_run) if planned else None,
                running_since=iso(running_since),
                message=history.message,
            )
        )
    return {
        "database": str(config.storage.database),
        "daemon": {
            "running": running,
            "pid": daemon.pid if daemon else None,
            "started": iso(daemon.started) if daemon else None,
            "heartbeat": iso(daemon.heartbeat) if daemon else None,
        },
        # Flat fields, so a shallow copy: asdict's deep copy took half a second for 20,000 sources.
        "sources": [dict(vars(s)) for s in sources],
        "summary": _summary(sources),
        "alerts": outbox.status_counts(db),
        "stories": _shared_stories(db),
    }


def _state(enabled: bool, failures: int, running_since: datetime | None, last_run: datetime | None) -> str:
    """One state per source, so the counts add up: a failing source that runs again is still failing."""
    if not enabled:
        return "disabled"
    if failures:
        return "failing"
    if running_since is not None:
        return "running"
    return "never_run" if last_run is None else "ok"


def _summary(sources: list[SourceStatus]) -> dict:
    """Counts by state, the failing sources worst first, and the next ones due."""
    counts = dict.fromkeys(STATES, 0)
    for s in sources:
        counts[s.state] += 1
    # Worst: most failures in a row, then the longest without a success (never counts as longest).
    failing = sorted(
        (s for s in sources if s.state == "failing"),
        key=lambda s: (-s.consecutive_failures, s.last_success or "", s.name),
    )
    due = heapq.nsmallest(
        NEXT_DUE,
        (s for s in sources if s.next_run and s.state not in ("running", "disabled")),
        key=lambda s: s.next_run,
    )
    return {
        "total": len(sources),
        "counts": counts,
        "failing": [
            {"name": s.name, "consecutive_failures": s.consecutive_failures, "last_success": s.last_success,
             "message": s.message}
            for s in failing
        ],
        "next_due": [{"name": s.name, "next_run": s.next_run} for s in due],
    }


def _shared_stories(db: sqlite_utils.Database, limit: int = 5) -> list[dict]:
    """The latest stories that several outlets carried: the "also reported by" view."""
    if "story_articles" not in db.table_names():
        return []
    shared = [story for story in list_stories(db) if len(story.outlets) > 1]
    return [story.to_dict() for story in shared[:limit]]


def render(report: dict, now: datetime, table: bool = True) -> str:
    """The report for people, times relative to `now`: the per-source table, or the summary of many sources."""
    lines = [_daemon_line(report["daemon"], now), ""]
    lines += _table(report["sources"], now) if table else _summary_lines(report["summary"], now)
    alerts = report["alerts"]
    lines += ["", f"alerts: {alerts.get('pending', 0)} pending, {alerts.get('failed', 0)} failed"]
    if report["stories"]:
        lines += ["", "latest stories carried by several outlets:"]
        lines += [f"  {story['title']}: {', '.join(story['outlets'])}" for story in report["stories"]]
    return "\n".join(lines)


def _daemon_line(daemon: dict, now: datetime) -> str:
    if daemon["running"]:
        return f"daemon: running (pid {daemon['pid']}, started {_ago(daemon['started'], now)})"
    if daemon["heartbeat"]:
        return f"daemon: not running (last seen {_ago(daemon['heartbeat'], now)})"
    return "daemon: never started on this database"


def _table(sources: list[dict], now: datetime) -> list[str]:
    rows = [
        (
            s["name"],
            _last_run(s, now),
            _ago(s["last_success"], now),
            s["new_articles_24h"],
            s["consecutive_failures"],
            _next_run(s, now),
        )
        for s in sources
    ]
    lines = [tabulate(rows, headers=("source", "last run", "last success", "new 24h", "failures", "next run"))]
    failing = [f"  {s['name']}: {s['message']}" for s in sources if s["consecutive_failures"] and s["message"]]
    if failing:
        lines += ["", "last failure messages:", *failing]
    return lines


def _summary_lines(summary: dict, now: datetime) -> list[str]:
    counts = summary["counts"]
    lines = [f"{summary['total']} sources: " + ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in STATES)]
    failing = summary["failing"]
    if failing:
        shown = failing[:FAILING_SHOWN]
        rows = [(f["name"], f["consecutive_failures"], _ago(f["last_success"], now), f["message"]) for f in shown]
        table = tabulate(rows, headers=("source", "failures", "last success", "message"))
        more = f"; the first {len(shown)}: newswatch status --json for all" if len(failing) > len(shown) else ""
        lines += ["", f"failing, worst first ({len(failing)}{more}):", *("  " + row for row in table.splitlines())]
    if summary["next_due"]:
        lines += ["", "next due:"]
        lines += [f"  {d['name']}: {_due(d['next_run'], now)}" for d in summary["next_due"]]
    lines += ["", "every source: newswatch status --all; one source: newswatch status --source NAME"]
    return lines


def render_source(s: dict, source: SourceConfig, config: Config, now: datetime) -> str:
    """One source in detail: its declaration and its history."""
    fields = [
        ("state", s["state"].replace("_", " ")),
        ("declared in", config.declared_in(source)),
        *((kind, url) for kind in ("feeds", "sitemaps", "pages") for url in getattr(source, kind)),
        ("schedule", source.schedule),
        ("tags", ", ".join(source.tags) or "-"),
        ("last run", _last_run(s, now)),
        ("last success", _ago(s["last_success"], now)),
        ("new 24h", str(s["new_articles_24h"])),
        ("failures", str(s["consecutive_failures"])),
        ("last message", s["message"] or "-"),
        ("next run", _next_run(s, now)),
    ]
    return "\n".join([f"source: {s['name']}", *(f"  {key + ':':<14}{value}" for key, value in fields)])


def _last_run(s: dict, now: datetime) -> str:
    if s["last_run"] is None:
        return "never"
    outcome = "stopped" if s["last_run_ok"] is None else "ok" if s["last_run_ok"] else "FAILED"
    return f"{_ago(s['last_run'], now)} ({outcome})"


def _next_run(s: dict, now: datetime) -> str:
    if not s["enabled"]:
        return "disabled"
    if s["running_since"]:
        return f"running since {_ago(s['running_since'], now)}"
    return _due(s["next_run"], now)


def _due(next_run: str | None, now: datetime) -> str:
    if next_run is None:
        return "-"
    seconds = (datetime.fromisoformat(next_run) - now).total_seconds()
    return f"in {_span(seconds)}" if seconds > 0 else "due"


def _ago(value: str | None, now: datetime) -> str:
    if value is None:
        return "-"
    return f"{_span((now - datetime.fromisoformat(value)).total_seconds())} ago"


def _span(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
