"""Small data classes carried between the stages: fetch → extract → deduplicate → match → store → deliver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TemplateMemory:
    """What template memory learned of one source: the line keys and element shapes dropped from its pages."""

    lines: frozenset[str] = frozenset()
    shapes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LineSeen:
    """One short line of a page, for template memory."""

    key: str  # its words, lower-case: what memory compares
    text: str  # as the page has it, for `sources show`


@dataclass(frozen=True)
class ShapeSeen:
    """One element shape on one page, with the keys of the lines it held there."""

    shape: str  # tag and classes of the element and its ancestors: "p.blurb < div.card < section.more < main"
    texts: frozenset[str]
    linked: bool  # every one of those lines sat in a slot that links to another article of the site


@dataclass(frozen=True)
class TemplateSeen:
    """What one page shows template memory of its source's template, to learn from once the page is stored."""

    lines: tuple[LineSeen, ...] = ()  # its short lines, one per key
    shapes: tuple[ShapeSeen, ...] = ()


@dataclass(frozen=True)
class Document:
    """What extraction finds in one HTML page: clean text plus metadata."""

    title: str
    text: str
    author: str | None = None
    published: datetime | None = None
    language: str | None = None  # ISO 639-1
    canonical_url: str | None = None  # as declared by the page (rel=canonical / og:url)
    template: TemplateSeen = TemplateSeen()  # empty unless extracted with the source's template memory


@dataclass(frozen=True)
class Skip:
    """A page that is not stored as an article, with a short countable reason."""

    reason: str  # e.g. "listing", "too-short", "video", "binary"


@dataclass(frozen=True)
class Article:
    """A stored article: the extracted document plus where and when it was fetched."""

    url: str
    canonical_url: str
    source: str
    title: str
    text: str
    fetched: datetime
    author: str | None = None
    published: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class TermHit:
    """One matched term: the text as found, where, and the rule group it belongs to."""

    term: str
    field: str  # "title" or "text"
    start: int
    end: int
    group: str = ""


@dataclass(frozen=True)
class Match:
    """One rule that fired on an article, and why."""

    rule: str
    category: str
    score: float
    terms: tuple[str, ...]
    snippet: str
    hits: tuple[TermHit, ...] = ()


@dataclass(frozen=True)
class Alert:
    """One event to announce on every channel; `id` is its idempotency key."""

    id: str
    event: str  # article.matched | story.updated | source.failing | source.recovered | test
    title: str
    url: str = ""
    source: str = ""
    published: datetime | None = None
    categories: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    snippet: str = ""
    story_id: str | None = None
    also_reported_by: tuple[str, ...] = ()
    created: datetime = field(default_factory=utcnow)
    evidence: dict = field(default_factory=dict)  # story.updated: why the article joined (stories show --json)


@dataclass
class SourceStats:
    """Counters for one source in one crawl run, shown in the summary table and stored per run."""

    fetched: int = 0
    new_articles: int = 0
    duplicates: int = 0
    matched: int = 0
    not_modified: int = 0
    known: int = 0  # listed links not fetched because they were fetched before
    skipped: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    start_failures: int = 0  # feeds, sitemaps or pages of this source that could not be fetched
    start_urls: int = 0
    message: str = ""
    stopped: str = ""  # "shutdown" when a signal ended the crawl early: neither a success nor a failure
    timed_out: bool = False  # the run hit [daemon] crawl_timeout; what it had not fetched was dropped

    @property
    def ok(self) -> bool:
        """A source fails when it ran out of time or none of its feeds, sitemaps or pages could be fetched."""
        return not self.timed_out and (self.start_urls == 0 or self.start_failures < self.start_urls)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1
