"""Crontab expressions as APScheduler triggers, with crontab's meaning of the day-of-week field.

Crontab counts weekdays from Sunday = 0 (7 is Sunday too); APScheduler 3's own
`CronTrigger.from_crontab` counts from Monday = 0.
"""

from __future__ import annotations

from datetime import datetime, timezone

from apscheduler.triggers.cron import CronTrigger


def cron_trigger(expression: str, jitter: float = 0) -> CronTrigger:
    """A trigger for a five-field crontab expression (minute hour day month weekday)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    trigger = CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday), jitter=jitter or None
    )
    if trigger.get_next_fire_time(None, datetime.now(timezone.utc)) is None:
        raise ValueError("it never fires (no such date)")
    return trigger


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """Crontab's day-of-week field as weekday names: crontab counts from Sunday = 0, APScheduler 3 from Monday."""
    if not any(c.isdigit() for c in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        else:
            start, _, end = span.partition("-")
            first = _weekday(start)
            last = _weekday(end) if end else (6 if step else first)
        days.update(d % 7 for d in range(first, last + 1, int(step or 1)))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3].lower() in _WEEKDAYS:
        return _WEEKDAYS.index(token[:3].lower())
    raise ValueError(f"invalid day of week {token!r} (0-7 or sun-sat)")
