"""Due source runs, handed from the daemon's scheduler to the crawl engine through the SQLite file.

The daemon queues a row when a source is due; an engine leases it, crawls the source and marks it
done in the same transaction that records the run. Leases carry the engine's pid, so the daemon
can put the runs of an engine it had to kill back in the queue: nothing due is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from newswatch.models import utcnow
from newswatch.storage import iso

TABLE = "due_runs"


@dataclass(frozen=True)
class DueRun:
    id: int
    source: str
    due: datetime
    leased: datetime | None = None


def ensure_schema(db: sqlite_utils.Database) -> None:
    if TABLE not in db.table_names():
        db[TABLE].create(
            {"id": int, "source": str, "due": str, "state": str, "engine": int, "leased": str},
            pk="id",
        )
        db[TABLE].create_index(["state", "id"])
        db[TABLE].create_index(["source", "state"])


def clear(db: sqlite_utils.Database) -> None:
    """Forget what an earlier daemon queued: the new one schedules every source afresh."""
    db.execute(f"delete from {TABLE}")


def enqueue(db: sqlite_utils.Database, source: str) -> bool:
    """Queue a run of `source`, unless one is queued or under way already (runs never overlap)."""
    busy = db.execute(f"select 1 from {TABLE} where source = ? limit 1", [source]).fetchone()
    if busy:
        return False
    db[TABLE].insert({"source": source, "due": iso(utcnow()), "state": "queued", "engine": None, "leased": None})
    return True


def any_queued(db: sqlite_utils.Database) -> bool:
    """A read, so that an engine looking four times a second takes the write lock only when there is work."""
    return db.execute(f"select 1 from {TABLE} where state = 'queued' limit 1").fetchone() is not None


def lease(db: sqlite_utils.Database, engine: int, limit: int) -> list[DueRun]:
    """Take up to `limit` queued runs, oldest first, for the engine with pid `engine`."""
    now = iso(utcnow())
    rows = db.execute(
        f"update {TABLE} set state = 'leased', engine = ?, leased = ? where id in "
        f"(select id from {TABLE} where state = 'queued' order by id limit ?) returning id, source, due",
        [engine, now, limit],
    ).fetchall()
    return sorted((DueRun(id, source, datetime.fromisoformat(due)) for id, source, due in rows), key=lambda r: r.id)


def finish(db: sqlite_utils.Database, run_id: int) -> None:
    """The run is recorded: its row goes (the run's figures live in `source_runs`)."""
    db.execute(f"delete from {TABLE} where id = ?", [run_id])


def requeue(db: sqlite_utils.Database, engine: int) -> int:
    """Put the runs an engine leased back in the queue (the engine died); returns how many."""
    return db.execute(
        f"update {TABLE} set state = 'queued', engine = null, leased = null where state = 'leased' and engine = ?",
        [engine],
    ).rowcount


def under_way(db: sqlite_utils.Database) -> dict[str, DueRun]:
    """The runs that engines hold now, by source."""
    rows = db.execute(f"select id, source, due, leased from {TABLE} where state = 'leased'").fetchall()
    return {
        source: DueRun(id, source, datetime.fromisoformat(due), datetime.fromisoformat(leased))
        for id, source, due, leased in rows
    }
