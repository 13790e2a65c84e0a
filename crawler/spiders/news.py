"""The news spider: one spider for all configured sources, so per-domain politeness is shared.

Feeds, sitemaps and section pages are fetched every run (with conditional GET); the article
links they list are fetched only if their canonical URL was never fetched before.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable, Iterator

import charset_normalizer
import scrapy
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler.errors import classify_failure, is_transient
from crawler.items import FetchedPage
from crawler.spiders.feed import MalformedFeed, feed_links
from crawler.spiders.listing import listing_links
from crawler.spiders.sitemap import MalformedSitemap, sitemap_links
from alerts.delivery import Dispatcher
from newswatch.config import Config, SourceConfig
from newswatch.models import SourceStats, utcnow
from newswatch.storage import Storage
from newswatch.urls import canonicalize, desktop_url

MAX_SITEMAP_DEPTH = 3
HTML_TYPES = (b"text/html", b"application/xhtml")
NON_ASCII_RUN = re.compile(rb"[\x80-\xff][^<>]*")


@dataclass(frozen=True)
class Validators:
    """What a feed, sitemap or section page answered, kept for the next run's conditional GET."""

    kind: str
    source: str
    status: int
    etag: str | None
    last_modified: str | None


class NewsSpider(scrapy.Spider):
    name = "newswatch"

    def __init__(
        self,
        config: Config,
        sources: Iterable[SourceConfig],
        storage: Storage,
        report: dict[str, SourceStats],
        max_pages: int,
        dispatcher: Dispatcher | None = None,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.config = config
        self.dispatcher = dispatcher  # woken by the storage pipeline after each commit
        self.sources = {s.name: s for s in sources}
        self.storage = storage
        self.report = report
        self.max_pages = max_pages
        self.scheduled: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.validators: dict[str, Validators] = {}

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources.values():
            stats = self.report[source.name]
            for kind, urls in (("feed", source.feeds), ("sitemap", source.sitemaps), ("page", source.pages)):
                for url in urls:
                    stats.start_urls += 1
                    yield self._listing_request(url, source.name, kind, depth=0)

    def _listing_request(self, url: str, source: str, kind: str, depth: int) -> Request:
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            dont_filter=True,
            priority=10,
            meta={
                "source": source,
                "kind": kind,
                "depth": depth,
                "start": depth == 0,
                "conditional": True,
                "handle_httpstatus_list": [304],
            },
        )

    def parse_listing(self, response: Response) -> Iterator[Request]:
        source, kind = response.meta["source"], response.meta["kind"]
        stats = self.report[source]
        stats.fetched += 1
        if response.status == 304:
            stats.not_modified += 1
            return
        self.validators[response.url] = Validators(
            kind, source, response.status, _header(response, b"ETag"), _header(response, b"Last-Modified")
        )
        try:
            if kind == "feed":
                links = feed_links(response.body, response.url)
            elif kind == "sitemap":
                found = sitemap_links(response.body, response.url)
                if response.meta["depth"] < MAX_SITEMAP_DEPTH:
                    for child in found.sitemaps:
                        yield self._listing_request(child, source, "sitemap", response.meta["depth"] + 1)
                links = found.pages
            else:
                if not isinstance(response, TextResponse):
                    raise ValueError("binary")
                links = listing_links(response, self.sources[source].follow)
        except (MalformedFeed, MalformedSitemap, ValueError) as exc:
            reason = {"feed": "malformed-feed", "sitemap": "malformed-sitemap"}.get(kind, "malformed-page")
            self._fail(response.meta, reason, f"{response.url}: {exc}")
            return
        yield from self._article_requests(links, source)

    def _article_requests(self, links: list[str], source: str) -> Iterator[Request]:
        stats = self.report[source]
        # desktop_url: an AMP or mobile link is fetched as the regular edition, the same article once.
        wanted = [u for u in dict.fromkeys(desktop_url(link) for link in links) if u not in self.seen]
        known = self.storage.known_urls(wanted)
        for url in wanted:
            self.seen.add(url)
            if url in known:
                stats.known += 1
            elif self.scheduled[source] >= self.max_pages:
                stats.skip("page-limit")
            else:
                self.scheduled[source] += 1
                # dont_filter: URLs are de-duplicated above by canonical form; Scrapy's filter would also
                # silently drop the second hop of a redirect loop instead of reporting it.
                yield Request(
                    url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"source": source, "kind": "article"},
                )

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        source = response.meta["source"]
        stats = self.report[source]
        stats.fetched += 1
        redirected_from = tuple(canonicalize(u) for u in response.meta.get("redirect_urls", ()))
        content_type = _header(response, b"Content-Type") or ""
        if not isinstance(response, TextResponse) or not content_type.lower().encode().startswith(HTML_TYPES):
            stats.skip("not-html")
            for url in (*redirected_from, canonicalize(response.url)):
                self.storage.remember_url(url, "skipped", source, response.status, reason="not-html")
            return
        html, repaired = decode_html(response)
        if repaired:
            stats.error("charset-mismatch")
        yield FetchedPage(
            source=source,
            url=canonicalize(response.url),
            html=html,
            fetched=utcnow(),
            redirected_from=redirected_from,
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        reason = classify_failure(failure)
        meta = request.meta
        if reason == "robots.txt":
            self.report[meta["source"]].skip("robots.txt")
            return
        if meta["kind"] == "article" and not is_transient(reason):
            self.storage.remember_url(canonicalize(request.url), "error", meta["source"], reason=reason)
        self._fail(meta, reason, f"{request.url}: {reason}")

    def _fail(self, meta: dict, reason: str, message: str) -> None:
        stats = self.report[meta["source"]]
        stats.error(reason)
        if meta.get("start"):
            stats.start_failures += 1
            stats.message = message

    def closed(self, reason: str) -> None:
        """Keep feed validators only for sources that fetched everything they listed.

        Otherwise the next run's 304 would hide an article this run failed (or had no room) to fetch.
        """
        if reason == "shutdown":  # SIGTERM or Ctrl-C: the run says nothing about the source's health
            for stats in self.report.values():
                stats.stopped = reason
        clean = {
            name
            for name, stats in self.report.items()
            if reason == "finished"
            and not any(is_transient(r) for r in stats.errors)
            and "page-limit" not in stats.skipped  # the articles over the limit are for the next run
        }
        with self.storage.transaction():
            for url, v in self.validators.items():
                if v.source in clean:
                    self.storage.remember_url(
                        url, v.kind, v.source, v.status, etag=v.etag, last_modified=v.last_modified
                    )


def decode_html(response: TextResponse) -> tuple[str, bool]:
    """The page as text; when the declared charset does not fit the bytes, detect it (and say so)."""
    try:
        return response.body.decode(response.encoding), False
    except (UnicodeDecodeError, LookupError):
        # Detect on the non-ASCII runs only: ASCII markup drowns the signal on mostly-English pages.
        sample = b" ".join(NON_ASCII_RUN.findall(response.body))
        best = charset_normalizer.from_bytes(sample).best()
        encoding = best.encoding if best else "utf-8"
        return response.body.decode(encoding, errors="replace"), True


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
