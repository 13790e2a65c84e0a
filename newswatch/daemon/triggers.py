"""When each source is crawled: APScheduler triggers from [[sources]] every / cron.

An interval source is spread once, by the random delay of its first run, and then keeps that
phase: APScheduler's interval jitter adds up from run to run (each run counts from the previous,
already late, one), which stretched a 15-minute interval to almost 16. A cron source, whose
times are fixed, is jittered on every run instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newswatch.config import SourceConfig
from newswatch.crontab import cron_trigger

MAX_JITTER = 60.0  # seconds; the default jitter is a tenth of the interval, at most this


def default_jitter(source: SourceConfig, configured: float | None) -> float:
    """[daemon] jitter if set, else a tenth of the source's interval, at most a minute."""
    if configured is not None:
        return configured
    return min(MAX_JITTER, _interval(source) / 10)


def trigger_for(source: SourceConfig, jitter: float) -> BaseTrigger:
    """The source's trigger (`jitter` applies to cron sources); ValueError if its cron expression is invalid."""
    if source.cron is None:
        return IntervalTrigger(seconds=source.every)
    return cron_trigger(source.cron, jitter)


def _interval(source: SourceConfig) -> float:
    if source.cron is None:
        return source.every
    trigger = trigger_for(source, 0)
    now = datetime.now(timezone.utc)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return (second - first).total_seconds()
