"""Digests: many alerts in one message, grouped by category, each story once with all its outlets.

Pure functions; the outbox decides which alerts a digest holds and when (see outbox.fold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Iterable

from newswatch.models import Alert

EVENT_LABELS = {
    "article.matched": "matched",
    "story.updated": "story updated",
    "source.failing": "source failing",
    "source.recovered": "source recovered",
    "test": "test",
}
SOURCES_SECTION = "source health"


@dataclass(frozen=True)
class Entry:
    """One story in a digest: its first alert, and every outlet that reported it."""

    alert: Alert
    outlets: tuple[str, ...]
    alert_ids: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    title: str  # a category, or SOURCES_SECTION
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Digest:
    id: str  # idempotency key of the message
    title: str
    alerts: tuple[Alert, ...]
    sections: tuple[Section, ...]


def build(digest_id: str, kind: str, alerts: Iterable[Alert], max_per_hour: int | None = None) -> Digest:
    """A digest (kind "digest") or an over-the-limit summary (kind "summary") of `alerts`."""
    alerts = tuple(alerts)
    sections = group(alerts)
    stories = sum(len(s.entries) for s in sections)
    counts = ", ".join(f"{s.title} {len(s.entries)}" for s in sections)
    noun = "story" if stories == 1 else "stories"
    if kind == "summary":
        title = f"{stories} more {noun} (over the limit of {max_per_hour} messages an hour): {counts}"
    else:
        title = f"Digest: {stories} {noun}: {counts}"
    return Digest(id=digest_id, title=title, alerts=alerts, sections=sections)


def group(alerts: Iterable[Alert]) -> tuple[Section, ...]:
    """Sections by first category (source alerts last); alerts of one story merge into one entry."""
    entries: dict[str, Entry] = {}
    for alert in alerts:
        key = alert.story_id or alert.id
        outlets = (alert.source, *alert.also_reported_by)
        if key in entries:
            known = entries[key]
            merged = tuple(dict.fromkeys(known.outlets + outlets))
            entries[key] = Entry(known.alert, merged, known.alert_ids + (alert.id,))
        else:
            entries[key] = Entry(alert, tuple(dict.fromkeys(o for o in outlets if o)), (alert.id,))
    by_title: dict[str, list[Entry]] = {}
    for entry in entries.values():
        by_title.setdefault(_section_title(entry.alert), []).append(entry)
    order = sorted(by_title, key=lambda title: (title == SOURCES_SECTION, title))
    return tuple(Section(title, tuple(by_title[title])) for title in order)


def last_slot(at: time, now: datetime) -> datetime:
    """The latest moment at or before `now` when the local clock showed `at`."""
    local = now.astimezone()
    slot = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def _section_title(alert: Alert) -> str:
    if alert.categories:
        return alert.categories[0]
    return SOURCES_SECTION if alert.event.startswith("source.") else EVENT_LABELS.get(alert.event, alert.event)
