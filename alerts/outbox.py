"""The transactional outbox: alert rows written with the article, and the delivery state of each.

Tables (in the shared SQLite file):
- alerts: one row per Alert, keyed by its stable id.
- deliveries: one row per (alert, channel): pending → sent | failed, or held for a digest.
- digests: one row per digest or summary message, which carries several held deliveries.

A sender claims a delivery or digest with one atomic UPDATE that sets a lease; a lease that
expires (its process died) makes the row claimable again, so it is resent with the same id.
`due`, `queued` and `lease_until` are epoch seconds (compared); `created`, `sent` are ISO text (read).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone

from sqlite_utils import Database

from alerts.config import AlertsConfig
from newswatch.models import Alert

_QUEUE_COLUMNS = """
        due real not null,
        queued real not null,
        attempts integer not null default 0,
        lease_until real,
        lease_owner text,
        last_error text,
        created text not null,
        sent text"""  # the claim, lease and outcome of a message; shared by deliveries and digests

_SCHEMA = (
    """create table if not exists alerts (
        id text primary key,
        event text not null,
        title text not null,
        url text not null,
        source text not null,
        published text,
        categories text not null,        -- JSON list
        rules text not null,             -- JSON list
        terms text not null,             -- JSON list
        snippet text not null,
        story_id text,
        also_reported_by text not null,  -- JSON list
        created text not null,
        evidence text                    -- JSON object: why a story.updated article joined its story
    )""",
    "create index if not exists alerts_story on alerts (story_id)",
    """create table if not exists digests (
        id text primary key,
        channel text not null,
        kind text not null,              -- digest | summary
        slot text,                       -- the digest_at time a digest is for
        status text not null,            -- pending | sent | failed
        """ + _QUEUE_COLUMNS + """,
        unique (channel, slot)
    )""",
    "create index if not exists digests_due on digests (channel, status, due)",
    """create table if not exists deliveries (
        id integer primary key,
        alert_id text not null references alerts (id),
        channel text not null,
        status text not null,            -- pending | held | sent | failed
        digest_id text references digests (id),
        """ + _QUEUE_COLUMNS + """,
        unique (alert_id, channel)
    )""",
    "create index if not exists deliveries_due on deliveries (channel, status, due)",
    "create index if not exists deliveries_digest on deliveries (digest_id)",
    "create index if not exists deliveries_sent on deliveries (channel, sent)",
)

STATUSES = ("pending", "held", "sent", "failed")  # of a delivery
_LISTS = ("categories", "rules", "terms", "also_reported_by")
_QUEUES = ("digests", "deliveries")  # claim order: a waiting digest carries the older alerts


@dataclass(frozen=True)
class Claim:
    """A message reserved for one sender: a single alert's delivery, or a digest of several."""

    table: str  # deliveries | digests
    row_id: int | str
    message_id: str  # the idempotency key: the alert id, or the digest id
    channel: str
    kind: str  # alert | digest | summary
    attempts: int  # including this one
    queued: float
    alerts: tuple[Alert, ...]
    owner: str = ""  # the sender holding the lease


def ensure_schema(db: Database) -> None:
    """Create the outbox tables if missing; safe inside an open transaction."""
    if "deliveries" not in db.table_names():
        for statement in _SCHEMA:
            db.execute(statement)
    elif "evidence" not in db["alerts"].columns_dict:  # an outbox made before stories carried evidence
        db.execute("alter table alerts add column evidence text")


def enqueue(db: Database, alert: Alert, config: AlertsConfig, now: float | None = None) -> int:
    """Store `alert` with one delivery per channel that accepts it, inside the caller's transaction.

    Returns how many deliveries were queued: 0 when no channel takes it, when the alert is
    already stored, or (with per = "story") when its story was already announced.
    """
    channels = [c for c in config.channels if c.accepts(alert.event, alert.categories)]
    if not channels:
        return 0
    ensure_schema(db)
    if config.per == "story" and _story_announced(db, alert):
        return 0
    now = time.time() if now is None else now
    created = iso(now)
    row = _row(alert)
    insert = f"insert or ignore into alerts ({', '.join(row)}) values ({', '.join(':' + c for c in row)})"
    with db.atomic():
        if db.execute(insert, row).rowcount == 0:
            return 0
        for channel in channels:
            db.execute(
                "insert into deliveries (alert_id, channel, status, due, queued, created) values (?, ?, ?, ?, ?, ?)",
                [alert.id, channel.name, "held" if channel.mode == "digest" else "pending", now, now, created],
            )
    return len(channels)


def claim(db: Database, channel: str, owner: str, lease: float, now: float, due_by: float | None = None) -> Claim | None:
    """Reserve the oldest message of `channel` due by `due_by` (default: now) for `lease` seconds, or None."""
    for table in _QUEUES:
        columns = "id, alert_id, attempts, queued" if table == "deliveries" else "id, kind, attempts, queued"
        with db.atomic():
            rows = list(
                db.query(
                    f"""update {table} set lease_owner = :owner, lease_until = :until, attempts = attempts + 1
                    where id = (select id from {table} where channel = :channel and status = 'pending'
                                and due <= :due_by and coalesce(lease_until, 0) <= :now order by due, id limit 1)
                    returning {columns}""",
                    {"owner": owner, "until": now + lease, "channel": channel, "now": now, "due_by": due_by or now},
                )
            )
        if rows:
            return replace(_claim(db, table, channel, rows[0]), owner=owner)
    return None


def mark_sent(db: Database, claim: Claim, now: float) -> None:
    _finish(db, claim, "sent", sent=iso(now), last_error=None)


def mark_failed(db: Database, claim: Claim, error: str) -> None:
    _finish(db, claim, "failed", last_error=error)


def mark_retry(db: Database, claim: Claim, due: float, error: str) -> None:
    with db.atomic():
        db.execute(
            # Only while this sender still holds the lease: a slow send whose lease expired must not
            # release the message under the sender that took it over.
            f"update {claim.table} set due = ?, last_error = ?, lease_until = null, lease_owner = null "
            "where id = ? and status = 'pending' and lease_owner = ?",
            [due, error, claim.row_id, claim.owner],
        )


def hold_due(db: Database, channel: str, now: float) -> int:
    """Set aside the channel's due deliveries for its next summary (its hourly limit is reached)."""
    return db.execute(
        "update deliveries set status = 'held', lease_until = null, lease_owner = null "
        "where channel = ? and status = 'pending' and due <= ? and coalesce(lease_until, 0) <= ?",
        [channel, now, now],
    ).rowcount


def fold(db: Database, channel: str, kind: str, now: float, slot: datetime | None = None) -> str | None:
    """Gather the channel's held deliveries into one new digest message; returns its id, or None.

    With `slot` (a digest_at time), only if something was held before it and no digest for
    that slot exists yet, so any number of deliverers make one digest per period.
    """
    digest_id = uuid.uuid4().hex
    cutoff = slot.timestamp() if slot else now
    with db.atomic():
        inserted = db.execute(
            """insert or ignore into digests (id, channel, kind, slot, status, due, queued, created)
            select ?, ?, ?, ?, 'pending', ?, ?, ? where exists (
                select 1 from deliveries where channel = ? and status = 'held' and digest_id is null and queued <= ?)""",
            [digest_id, channel, kind, slot.isoformat() if slot else None, now, now, iso(now), channel, cutoff],
        ).rowcount
        if not inserted:
            return None
        db.execute(
            "update deliveries set digest_id = ? where channel = ? and status = 'held' and digest_id is null",
            [digest_id, channel],
        )
    return digest_id


def has_held(db: Database, channel: str) -> bool:
    sql = "select 1 from deliveries where channel = ? and status = 'held' and digest_id is null limit 1"
    return bool(db.execute(sql, [channel]).fetchall())


def messages_sent_since(db: Database, channel: str, since: float) -> int:
    """Messages (single alerts and digests) the channel sent after `since`."""
    cutoff = iso(since)
    singles = db.execute(
        "select count(*) from deliveries where channel = ? and sent > ? and digest_id is null", [channel, cutoff]
    ).fetchone()[0]
    digests = db.execute("select count(*) from digests where channel = ? and sent > ?", [channel, cutoff]).fetchone()[0]
    return singles + digests


def next_due(db: Database, channel: str) -> float | None:
    """When the channel's next pending message becomes claimable, or None if nothing is pending."""
    times = [
        db.execute(
            f"select min(max(due, coalesce(lease_until, 0))) from {table} where channel = ? and status = 'pending'",
            [channel],
        ).fetchone()[0]
        for table in _QUEUES
    ]
    return min((t for t in times if t is not None), default=None)


def requeue_failed(db: Database, now: float, channel: str | None = None) -> int:
    """Make failed deliveries and digests due again with a fresh retry budget; returns deliveries re-queued."""
    only = "and channel = :channel" if channel else ""
    reset = "due = :now, queued = :now, attempts = 0, last_error = null, lease_until = null, lease_owner = null"
    params = {"now": now, "channel": channel}
    with db.atomic():
        count = db.execute(
            "update deliveries set status = 'held', last_error = null "
            f"where digest_id in (select id from digests where status = 'failed' {only})",
            params,
        ).rowcount
        db.execute(f"update digests set status = 'pending', {reset} where status = 'failed' {only}", params)
        count += db.execute(
            f"update deliveries set status = 'pending', {reset} where status = 'failed' and digest_id is null {only}",
            params,
        ).rowcount
    return count


def status_counts(db: Database) -> dict[str, int]:
    """How many deliveries are in each status, every status listed (for status reports and metrics)."""
    counts = dict.fromkeys(STATUSES, 0)
    if "deliveries" in db.table_names():
        for status, count in db.execute("select status, count(*) from deliveries group by status"):
            counts[status] = count
    return counts


def listing(db: Database, status: str | None = None, limit: int = 50) -> list[dict]:
    """Newest deliveries first, each with its alert's event, title and categories."""
    where, params = ("where d.status = ?", [status]) if status else ("", [])
    return list(
        db.query(
            f"""select d.id, d.alert_id, d.channel, d.status, d.attempts, d.created, d.sent, d.last_error,
                       a.event, a.title, a.categories
                from deliveries d join alerts a on a.id = d.alert_id {where}
                order by d.id desc limit ?""",
            [*params, limit],
        )
    )


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


def _story_announced(db: Database, alert: Alert) -> bool:
    if alert.event != "article.matched" or not alert.story_id:
        return False
    sql = "select 1 from alerts where story_id = ? and event = 'article.matched' and id != ? limit 1"
    return bool(db.execute(sql, [alert.story_id, alert.id]).fetchall())


def _finish(db: Database, claim: Claim, status: str, **values: str | None) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    params = {"status": status, "id": claim.row_id, **values}
    with db.atomic():
        db.execute(
            f"update {claim.table} set status = :status, {assignments}, lease_until = null, lease_owner = null "
            "where id = :id",
            params,
        )
        if claim.table == "digests":
            db.execute(f"update deliveries set status = :status, {assignments} where digest_id = :id", params)


def _claim(db: Database, table: str, channel: str, row: dict) -> Claim:
    if table == "deliveries":
        alerts = db.query("select * from alerts where id = ?", [row["alert_id"]])
        kind, message_id = "alert", row["alert_id"]
    else:
        alerts = db.query(
            "select a.* from alerts a join deliveries d on d.alert_id = a.id where d.digest_id = ? order by a.created",
            [row["id"]],
        )
        kind, message_id = row["kind"], row["id"]
    return Claim(
        table=table,
        row_id=row["id"],
        message_id=message_id,
        channel=channel,
        kind=kind,
        attempts=row["attempts"],
        queued=row["queued"],
        alerts=tuple(_with_outlets(db, _alert(a)) for a in alerts),
    )


def _with_outlets(db: Database, alert: Alert) -> Alert:
    """The alert with every outlet that has carried its story by now, not only those known when it was raised.

    With per = "story", later outlets of a story raise no alert of their own; a digest still names them.
    """
    if not alert.story_id:
        return alert
    sources = db.execute(
        "select source from articles where story_id = ? group by source order by min(id)", [alert.story_id]
    ).fetchall()
    others = tuple(dict.fromkeys((*alert.also_reported_by, *(s for (s,) in sources if s != alert.source))))
    return replace(alert, also_reported_by=others)


def _row(alert: Alert) -> dict:
    row = asdict(alert)
    for name in _LISTS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["published"] = alert.published.isoformat() if alert.published else None
    row["created"] = alert.created.isoformat()
    row["evidence"] = json.dumps(alert.evidence, ensure_ascii=False) if alert.evidence else None
    return row


def _alert(row: dict) -> Alert:
    values = dict(row)
    for name in _LISTS:
        values[name] = tuple(json.loads(values[name]))
    values["published"] = datetime.fromisoformat(row["published"]) if row["published"] else None
    values["created"] = datetime.fromisoformat(row["created"])
    values["evidence"] = json.loads(row["evidence"]) if row.get("evidence") else {}
    return Alert(**values)
