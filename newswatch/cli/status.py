"""`newswatch status`: each source's last run, failures and next run, and the alerts waiting to go out."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import click
import sqlite_utils
from tabulate import tabulate

from alerts import outbox
from newswatch.daemon import state
from newswatch.cli.common import config_option, load, main
from newswatch.config import Config
from newswatch.errors import NewswatchError
from newswatch.daemon.health import new_articles_since, source_histories
from newswatch.stories.listing import list_stories
from newswatch.models import utcnow
from newswatch.storage import iso


@dataclass(frozen=True)
class SourceStatus:
    name: str
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
def status(config_path: str | None, as_json: bool) -> None:
    """Show each source's last run, last success, new articles in the last 24 h,
    consecutive failures and next run, and how many alerts are pending or failed.

    Safe to run while the daemon is writing to the database.

    \b
    Example:
      newswatch status --config config.toml
      newswatch status --json | jq '.sources[] | select(.consecutive_failures > 0)'
    """
    config = load(config_path)
    database = config.storage.database
    if not database.exists():
        raise NewswatchError(f"{database}: no database yet; start the daemon with `newswatch run` or crawl once")
    now = utcnow()
    with state.reading(database) as db:
        report = status_report(db, config, now)
    click.echo(json.dumps(report, indent=2) if as_json else render(report, now))


def status_report(db: sqlite_utils.Database, config: Config, now: datetime) -> dict:
    """Everything `status` shows, as plain JSON-ready data."""
    daemon = state.read_daemon(db)
    running = daemon is not None and daemon.running(now)
    schedule = state.read_schedule(db) if running else {}
    histories = source_histories(db, (source.name for source in config.sources))
    new = new_articles_since(db, now - timedelta(days=1))
    sources = []
    for source in config.sources:
        history = histories[source.name]
        planned = schedule.get(source.name)
        sources.append(
            SourceStatus(
                name=source.name,
                enabled=source.enabled,
                last_run=iso(history.last_run),
                last_run_ok=history.last_ok,
                last_success=iso(history.last_success),
                new_articles_24h=new.get(source.name, 0),
                consecutive_failures=history.failures,
                next_run=iso(planned.next_run) if planned else None,
                running_since=iso(planned.running_since) if planned else None,
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
        "sources": [asdict(s) for s in sources],
        "alerts": outbox.status_counts(db),
        "stories": _shared_stories(db),
    }


def _shared_stories(db: sqlite_utils.Database, limit: int = 5) -> list[dict]:
    """The latest stories that several outlets carried: the "also reported by" view."""
    if "story_articles" not in db.table_names():
        return []
    shared = [story for story in list_stories(db) if len(story.outlets) > 1]
    return [story.to_dict() for story in shared[:limit]]


def render(report: dict, now: datetime) -> str:
    """The report as a table for people, times relative to `now`."""
    daemon = report["daemon"]
    if daemon["running"]:
        head = f"daemon: running (pid {daemon['pid']}, started {_ago(daemon['started'], now)})"
    elif daemon["heartbeat"]:
        head = f"daemon: not running (last seen {_ago(daemon['heartbeat'], now)})"
    else:
        head = "daemon: never started on this database"
    rows = [
        (
            s["name"],
            _last_run(s, now),
            _ago(s["last_success"], now),
            s["new_articles_24h"],
            s["consecutive_failures"],
            _next_run(s, now),
        )
        for s in report["sources"]
    ]
    table = tabulate(rows, headers=("source", "last run", "last success", "new 24h", "failures", "next run"))
    failing = [
        f"  {s['name']}: {s['message']}" for s in report["sources"] if s["consecutive_failures"] and s["message"]
    ]
    alerts = report["alerts"]
    lines = [head, "", table]
    if failing:
        lines += ["", "last failure messages:", *failing]
    lines += ["", f"alerts: {alerts.get('pending', 0)} pending, {alerts.get('failed', 0)} failed"]
    if report["stories"]:
        lines += ["", "latest stories carried by several outlets:"]
        lines += [f"  {story['title']}: {', '.join(story['outlets'])}" for story in report["stories"]]
    return "\n".join(lines)


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
    if s["next_run"] is None:
        return "-"
    seconds = (datetime.fromisoformat(s["next_run"]) - now).total_seconds()
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
