"""One run of one source inside a crawl: its counters, its outstanding work and its time limit.

A one-off crawl starts a run per selected source; the long-lived engine starts one whenever a
source is due. Every request and item carries its run, so a run knows when it is done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from crawler.errors import is_transient
from newswatch.config import SourceConfig
from newswatch.models import SourceStats, utcnow


@dataclass(frozen=True)
class Validators:
    """What a feed, sitemap or section page answered, kept for the next run's conditional GET."""

    kind: str
    status: int
    etag: str | None
    last_modified: str | None


@dataclass(eq=False)
class SourceRun:
    source: SourceConfig
    time_limit: float  # seconds; 0 for none
    lease: int | None = None  # the engine's due_runs row
    stats: SourceStats = field(default_factory=SourceStats)
    started: datetime = field(default_factory=utcnow)
    began: float = field(default_factory=time.monotonic)
    pending: int = 0  # requests and items not yet settled
    scheduled: int = 0  # article requests made, against max_pages_per_source
    seen: set[str] = field(default_factory=set)  # article URLs listed in this run
    listings: set[str] = field(default_factory=set)  # feeds, sitemaps and section pages requested in this run
    validators: dict[str, Validators] = field(default_factory=dict)
    ended: str = ""  # "finished", "timeout" or the reason the whole crawl closed
    private_ok: bool = False  # a configured URL is on an internal address: its links may be too

    @property
    def name(self) -> str:
        return self.source.name

    def overdue(self, now: float) -> bool:
        return bool(self.time_limit) and not self.ended and now - self.began > self.time_limit

    def clean(self) -> bool:
        """Whether the run fetched everything it listed, so its validators may hide the listings next time."""
        return (
            self.ended == "finished"
            and not any(is_transient(r) for r in self.stats.errors)
            and "page-limit" not in self.stats.skipped  # the articles over the limit are for the next run
        )
