"""Source health from the crawl history: consecutive failures, and one alert when a source starts and stops failing.

The `source_runs` rows are written by the crawl; `source_health` remembers when the user was
told a source is failing (null once it recovered), so each change is announced once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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
        history = source_history(db, source)
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


def source_histories(db: sqlite_utils.Database, sources: Iterable[str]) -> dict[str, SourceHistory]:
    """Each source's history in one query: index seeks per source, however long the history is."""
    names = list(sources)
    if "source_runs" not in db.table_names():
        return {name: SourceHistory(name, None, None, None, 0, "") for name in names}
    rows = db.query(_HISTORIES, [json.dumps(names)])
    return {
        row["source"]: SourceHistory(
            source=row["source"],
            last_run=_time(row["started"]),
            last_ok=None if row["ok"] is None else bool(row["ok"]),
            last_success=_time(row["last_success"]),
            failures=row["failures"],
            message=row["message"] or "",
        )
        for row in rows
    }


def source_history(db: sqlite_utils.Database, source: str) -> SourceHistory:
    return source_histories(db, [source])[source]


# The names come as one JSON array: one parameter, however many sources.
_HISTORIES = """
with names(source) as (select value from json_each(?)),
last as (
    select source,
        (select max(id) from source_runs r where r.source = names.source) as run_id,
        (select max(id) from source_runs r where r.source = names.source and r.ok = 1) as success_id
    from names
)
select last.source, run.started, run.ok, run.message, success.finished as last_success,
    (select count(*) from source_runs f
     where f.source = last.source and f.ok = 0 and f.id > coalesce(last.success_id, 0)) as failures
from last
left join source_runs run on run.id = last.run_id
left join source_runs success on success.id = last.success_id
"""


def new_articles_since(db: sqlite_utils.Database, since: datetime) -> dict[str, int]:
    """New (not duplicate) articles per source fetched since `since`; sources with none are absent."""
    if "articles" not in db.table_names():
        return {}
    rows = db.query(
        "select source, count(*) as n from articles where fetched >= ? and duplicate_of is null group by source",
        [iso(since)],
    )
    return {row["source"]: row["n"] for row in rows}


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
