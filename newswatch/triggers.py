"""When each source is crawled: APScheduler triggers from [[sources]] every / cron, with jitter.

Cron expressions have crontab's meaning (day of week 0 and 7 are Sunday), which APScheduler 3's
own `CronTrigger.from_crontab` does not (it counts weekdays from Monday = 0).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newswatch.config import SourceConfig

MAX_JITTER = 60.0  # seconds; the default jitter is a tenth of the interval, at most this


def default_jitter(source: SourceConfig, configured: float | None) -> float:
    """[daemon] jitter if set, else a tenth of the source's interval, at most a minute."""
    if configured is not None:
        return configured
    return min(MAX_JITTER, _interval(source) / 10)


def trigger_for(source: SourceConfig, jitter: float) -> BaseTrigger:
    """The source's trigger; ValueError if its cron expression is invalid."""
    if source.cron is None:
        return IntervalTrigger(seconds=source.every, jitter=jitter or None)
    return cron_trigger(source.cron, jitter)


def cron_trigger(expression: str, jitter: float = 0) -> CronTrigger:
    """A trigger for a five-field crontab expression (minute hour day month weekday)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday), jitter=jitter or None
    )


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


def _interval(source: SourceConfig) -> float:
    if source.cron is None:
        return source.every
    trigger = trigger_for(source, 0)
    now = datetime.now(timezone.utc)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return (second - first).total_seconds()
