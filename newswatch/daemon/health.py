"""Source health from the crawl history: consecutive failures, and one alert when a source starts and stops failing.

The `source_runs` rows are written by the crawl; `source_health` remembers when the user was
told a source is failing (null once it recovered), so each change is announced once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from alerts import events, outbox
from alerts.config import AlertsConfig
from newswatch.models import utcnow
from newswatch.storage import Storage, iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceHistory:
    """What the stored crawl runs say about one source."""

    source: str
    last_run: datetime | None
    last_ok: bool | None
    last_success: datetime | None
    failures: int  # consecutive failed runs, most recent first
    new_last_day: int
    message: str  # of the last run


def transition(failures: int, announced: bool, failing_after: int) -> str | None:
    """ "failing" once a source reaches `failing_after` failures, "recovered" when an announced one works again."""
    if failures >= failing_after and not announced:
        return "failing"
    if failures == 0 and announced:
        return "recovered"
    return None


def ensure_schema(db: sqlite_utils.Database) -> None:
    if "source_health" not in db.table_names():
        db["source_health"].create({"source": str, "announced": str}, pk="source")


def update_health(storage: Storage, source: str, failing_after: int, alerts: AlertsConfig) -> str | None:
    """Announce a change in `source`'s health through the outbox; returns "failing", "recovered" or None."""
    with storage.transaction() as db:
        history = source_history(db, source, utcnow())
        rows = list(db.query("select * from source_health where source = ?", [source]))
        announced = bool(rows and rows[0]["announced"])
        change = transition(history.failures, announced, failing_after)
        # Each alert's time is that of the run that caused it, so a repeated update enqueues the same id.
        if change == "failing":
            alert = events.source_failing(source, history.failures, history.message, at=history.last_run)
            outbox.enqueue(db, alert, alerts, time.time())
            db["source_health"].upsert({"source": source, "announced": iso(utcnow())}, pk="source")
        elif change == "recovered":
            outbox.enqueue(db, events.source_recovered(source, at=history.last_success), alerts, time.time())
            db["source_health"].upsert({"source": source, "announced": None}, pk="source")
    if change == "failing":
        log.warning("source %s is failing: its last %d runs failed", source, history.failures)
    elif change == "recovered":
        log.warning("source %s recovered", source)
    return change


def source_history(db: sqlite_utils.Database, source: str, now: datetime) -> SourceHistory:
    if "source_runs" not in db.table_names():
        return SourceHistory(source, None, None, None, 0, 0, "")
    last = list(db.query("select * from source_runs where source = ? order by id desc limit 1", [source]))
    success = list(
        db.query("select id, finished from source_runs where source = ? and ok = 1 order by id desc limit 1", [source])
    )
    failures = next(
        db.query(
            "select count(*) as n from source_runs where source = ? and ok = 0 and id > ?",
            [source, success[0]["id"] if success else 0],
        )
    )["n"]
    return SourceHistory(
        source=source,
        last_run=datetime.fromisoformat(last[0]["started"]) if last else None,
        last_ok=None if not last or last[0]["ok"] is None else bool(last[0]["ok"]),
        last_success=datetime.fromisoformat(success[0]["finished"]) if success else None,
        failures=failures,
        new_last_day=_new_articles(db, source, now - timedelta(days=1)),
        message=last[0]["message"] or "" if last else "",
    )


def _new_articles(db: sqlite_utils.Database, source: str, since: datetime) -> int:
    if "articles" not in db.table_names():
        return 0
    row = next(
        db.query(
            "select count(*) as n from articles where source = ? and fetched >= ? and duplicate_of is null",
            [source, iso(since)],
        )
    )
    return row["n"]
