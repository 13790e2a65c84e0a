"""What the daemon writes down for others to read: its heartbeat and each source's next run.

`newswatch status` and the metrics endpoint read these tables while the daemon writes them.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import sqlite_utils

from newswatch.models import utcnow
from newswatch.storage import iso

HEARTBEAT_EVERY = 5.0  # seconds between heartbeats of a running daemon
ALIVE_WITHIN = timedelta(seconds=3 * HEARTBEAT_EVERY)  # a daemon silent for longer is not running


@dataclass(frozen=True)
class DaemonInfo:
    """The last daemon seen on this database."""

    pid: int
    started: datetime
    heartbeat: datetime
    stopped: datetime | None
    engine_pids: tuple[int, ...] = ()  # its crawl engines

    def running(self, now: datetime) -> bool:
        return self.stopped is None and now - self.heartbeat < ALIVE_WITHIN


@dataclass(frozen=True)
class ScheduledSource:
    """One source as the daemon last scheduled it."""

    source: str
    next_run: datetime | None
    running_since: datetime | None
    crawl_pid: int | None


@contextmanager
def reading(database: Path) -> Iterator[sqlite_utils.Database]:
    """A connection that only reads, for `status` and metrics beside a running daemon (WAL: writers never wait)."""
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        yield sqlite_utils.Database(conn)


def ensure_schema(db: sqlite_utils.Database) -> None:
    with db.atomic():
        if "daemon" not in db.table_names():
            db["daemon"].create(
                {"id": int, "pid": int, "started": str, "heartbeat": str, "stopped": str, "engine_pids": str}, pk="id"
            )
        elif "engine_pids" not in db["daemon"].columns_dict:
            db["daemon"].add_column("engine_pids", str)
        if "schedule" not in db.table_names():
            db["schedule"].create(
                {"source": str, "next_run": str, "running_since": str, "crawl_pid": int, "updated": str}, pk="source"
            )


def mark_started(db: sqlite_utils.Database) -> None:
    """Record this process as the daemon and forget the schedule of any earlier one."""
    now = iso(utcnow())
    with db.atomic():
        db["daemon"].upsert({"id": 1, "pid": os.getpid(), "started": now, "heartbeat": now, "stopped": None}, pk="id")
        db.execute("delete from schedule")


def beat(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.execute("update daemon set heartbeat = ? where id = 1", [iso(utcnow())])


def set_engines(db: sqlite_utils.Database, pids: list[int]) -> None:
    with db.atomic():
        db.execute("update daemon set engine_pids = ? where id = 1", [json.dumps(pids)])


def mark_stopped(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.execute("update daemon set stopped = ? where id = 1", [iso(utcnow())])


def set_schedule(
    db: sqlite_utils.Database,
    source: str,
    next_run: datetime | None,
    *,
    running_since: datetime | None = None,
    crawl_pid: int | None = None,
) -> None:
    # Plain SQL: sqlite-utils' upsert reads the table's schema on every call, and this runs on every poll.
    with db.atomic():
        db.execute(
            "insert into schedule (source, next_run, running_since, crawl_pid, updated) values (?, ?, ?, ?, ?)"
            " on conflict (source) do update set next_run = excluded.next_run,"
            " running_since = excluded.running_since, crawl_pid = excluded.crawl_pid, updated = excluded.updated",
            [source, iso(next_run), iso(running_since), crawl_pid, iso(utcnow())],
        )


def read_daemon(db: sqlite_utils.Database) -> DaemonInfo | None:
    if "daemon" not in db.table_names():
        return None
    rows = list(db.query("select * from daemon where id = 1"))
    if not rows:
        return None
    row = rows[0]
    return DaemonInfo(
        pid=row["pid"],
        started=datetime.fromisoformat(row["started"]),
        heartbeat=datetime.fromisoformat(row["heartbeat"]),
        stopped=_when(row["stopped"]),
        engine_pids=tuple(json.loads(row.get("engine_pids") or "[]")),
    )


def read_schedule(db: sqlite_utils.Database) -> dict[str, ScheduledSource]:
    if "schedule" not in db.table_names():
        return {}
    return {
        row["source"]: ScheduledSource(
            source=row["source"],
            next_run=_when(row["next_run"]),
            running_since=_when(row["running_since"]),
            crawl_pid=row["crawl_pid"],
        )
        for row in db.query("select * from schedule")
    }


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
