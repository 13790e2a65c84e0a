"""Pure builders of the alerts newswatch sends, one per event type.

Each id is derived from what the alert is about, so building the same event twice gives the
same id: the outbox stores it once, and receivers can use it as an idempotency key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Iterable

from newswatch.models import Alert, Article, Match, utcnow


def stable_id(*parts: object) -> str:
    """32 hex digits naming an event; the same parts always give the same id."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def article_matched(
    article_id: int,
    article: Article,
    matches: list[Match],
    story_id: str | None = None,
    also_reported_by: Iterable[str] = (),
) -> Alert:
    """A newly stored article that one or more rules matched."""
    return Alert(
        id=stable_id("article.matched", article_id, article.canonical_url),
        event="article.matched",
        story_id=story_id,
        also_reported_by=_others(also_reported_by, article.source),
        **_article_fields(article, matches),
    )


def story_updated(
    story_id: str,
    article_id: int,
    article: Article,
    matches: list[Match],
    also_reported_by: Iterable[str] = (),
    evidence: dict | None = None,
) -> Alert:
    """A further outlet retold a story that was already announced; `evidence` says why it is the same story."""
    return Alert(
        id=stable_id("story.updated", story_id, article_id),
        event="story.updated",
        story_id=story_id,
        also_reported_by=_others(also_reported_by, article.source),
        evidence=evidence or {},
        **_article_fields(article, matches),
    )


def source_failing(source: str, failures: int, message: str, at: datetime | None = None) -> Alert:
    """A source whose last `failures` crawls all failed; `at` marks this failure episode."""
    snippet = f"The last {failures} crawls of {source} failed: {message}"
    return _source_alert("source.failing", source, f"Source {source} is failing", snippet, at)


def source_recovered(source: str, at: datetime | None = None) -> Alert:
    """A source that was failing and was crawled successfully again."""
    snippet = f"{source} was crawled successfully again."
    return _source_alert("source.recovered", source, f"Source {source} has recovered", snippet, at)


def test_alert(at: datetime | None = None) -> Alert:
    """What `newswatch alerts test` sends; a new id each time so receivers do not drop it as a repeat."""
    at = at or utcnow()
    return Alert(
        id=stable_id("test", at.isoformat()),
        event="test",
        title="Test alert from newswatch",
        source="newswatch",
        snippet="If you can read this, newswatch alerts reach this channel.",
        created=at,
    )


test_alert.__test__ = False  # not a pytest test, though its name says so


def _source_alert(event: str, source: str, title: str, snippet: str, at: datetime | None) -> Alert:
    at = at or utcnow()
    return Alert(
        id=stable_id(event, source, at.isoformat()),
        event=event,
        title=title,
        source=source,
        snippet=snippet,
        created=at,
    )


def _article_fields(article: Article, matches: list[Match]) -> dict:
    ranked = sorted(matches, key=lambda m: m.score, reverse=True)
    return dict(
        title=article.title,
        url=article.canonical_url or article.url,
        source=article.source,
        published=article.published,
        categories=_unique(m.category for m in ranked),
        rules=_unique(m.rule for m in ranked),
        terms=_unique(term for m in ranked for term in m.terms),
        snippet=ranked[0].snippet if ranked else "",
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """First spelling of each value, in order, ignoring case."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def _others(outlets: Iterable[str], own: str) -> tuple[str, ...]:
    return tuple(o for o in _unique(outlets) if o != own)
