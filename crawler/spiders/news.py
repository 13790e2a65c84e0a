"""The news spider: one spider for all configured sources, so per-domain politeness is shared.

Feeds, sitemaps and section pages are fetched every run (with conditional GET); the article
links they list are fetched only if their canonical URL was never fetched before.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, AsyncIterator, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import charset_normalizer
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.asyncio import create_looping_call
from twisted.python.failure import Failure

from crawler.errors import SKIPS, classify_failure, is_transient
from crawler.items import FetchedPage
from crawler.middlewares.destinations import SCHEMES
from crawler.runs import SourceRun, Validators
from crawler.spiders.feed import feed_links
from crawler.spiders.listing import listing_links
from crawler.spiders.sitemap import ListingLinks, SitemapTooLarge, sitemap_links
from alerts.delivery import Dispatcher
from newswatch.config import Config, CrawlConfig
from newswatch.models import utcnow
from newswatch.storage import Storage
from newswatch.templatememory import TemplateStore
from newswatch.urls import canonicalize, desktop_url

HTML_TYPES = (b"text/html", b"application/xhtml")
NON_ASCII_RUN = re.compile(rb"[\x80-\xff][^<>]*")
EXPIRE_EVERY = 1.0  # seconds between checks of the runs' time limits

RunDone = Callable[[SourceRun], None]
logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    """Crawls source runs: those given at the start, and, in a long-lived engine, those added later."""

    name = "newswatch"

    def __init__(
        self,
        config: Config,
        storage: Storage,
        runs: Iterable[SourceRun] = (),
        on_run_done: RunDone | None = None,
        keep_alive: bool = False,
        dispatcher: Dispatcher | None = None,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.config = config
        self.dispatcher = dispatcher  # woken by the storage pipeline after each commit
        self.storage = storage
        self.templates = TemplateStore(storage)  # read by the extraction pipeline, taught by the storage pipeline
        self.initial = list(runs)
        self.on_run_done = on_run_done
        self.keep_alive = keep_alive  # the engine's spider waits for more runs instead of closing when idle
        self.active: dict[str, SourceRun] = {}
        self.fetching: set[str] = set()  # article URLs requested by any run and not yet settled
        self._expiry: Any = None  # the time-limit check, started with the spider (the reactor is up then)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "NewsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_settled, signal=signal)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for run in self.initial:
            for request in self._begin(run):
                yield request

    def add_run(self, run: SourceRun) -> None:
        """Schedule a run into the running crawl (the engine calls this on the reactor thread)."""
        for request in self._begin(run):
            self.crawler.engine.crawl(request)

    def _begin(self, run: SourceRun) -> Iterator[Request]:
        self.active[run.name] = run
        for kind, urls in (("feed", run.source.feeds), ("sitemap", run.source.sitemaps), ("page", run.source.pages)):
            for url in urls:
                run.stats.start_urls += 1
                yield self._listing_request(url, run, kind, depth=0)

    def _listing_request(self, url: str, run: SourceRun, kind: str, depth: int) -> Request:
        run.pending += 1
        run.listings.add(url)
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            dont_filter=True,
            priority=10,
            meta={
                "run": run,
                "kind": kind,
                "depth": depth,
                "start": depth == 0,
                "conditional": True,
                "poll": True,
                "autothrottle_dont_adjust_delay": True,
                "handle_httpstatus_list": [304],
            },
        )

    async def parse_listing(self, response: Response) -> AsyncIterator[Request]:
        run, kind = response.meta["run"], response.meta["kind"]
        try:
            if not run.ended:
                for request in await self._listed(response, run, kind):
                    yield request
        finally:
            self._settle(run)

    async def _listed(self, response: Response, run: SourceRun, kind: str) -> list[Request]:
        stats = run.stats
        stats.fetched += 1
        if response.status == 304:
            stats.not_modified += 1
            return []
        run.validators[response.url] = Validators(
            kind, response.status, _header(response, b"ETag"), _header(response, b"Last-Modified")
        )
        crawl = self.config.crawl
        try:
            # In a thread: a large or hostile listing must not hold up the reactor, and every other source.
            found = await asyncio.to_thread(read_listing, response, kind, run.source.follow, crawl)
        except SitemapTooLarge as exc:
            self._fail(run, response.meta, "too-large", f"{response.url}: {exc}")
            return []
        except Exception as exc:  # the parsers raise ValueError for what they refuse; anything else is a bug, logged
            if not isinstance(exc, ValueError):
                logger.exception("source %s: reading %s failed", run.name, response.url)
            reason = {"feed": "malformed-feed", "sitemap": "malformed-sitemap"}.get(kind, "malformed-page")
            self._fail(run, response.meta, reason, f"{response.url}: {exc or type(exc).__name__}")
            return []
        if run.ended:
            return []
        links = found.sitemaps + found.pages
        if len(links) > crawl.max_links_per_listing:
            stats.skip("too-many-links")  # once a listing: the entries past max_links_per_listing are not read
        children = found.sitemaps[: crawl.max_links_per_listing]
        pages = found.pages[: crawl.max_links_per_listing - len(children)]
        return [
            *self._child_sitemaps(children, run, response.meta["depth"] + 1),
            *self._article_requests(pages, run),
        ]

    def _child_sitemaps(self, children: list[str], run: SourceRun, depth: int) -> Iterator[Request]:
        """The sitemaps a sitemap index lists, each fetched once a run, max_sitemap_depth indexes deep at most."""
        for url in map(_fetchable, children):
            if url is None:
                run.stats.skip("bad-link")
            elif url in run.listings:
                run.stats.skip("sitemap-loop")
            elif depth > self.config.crawl.max_sitemap_depth:
                run.stats.skip("sitemap-too-deep")
            else:
                yield self._listing_request(url, run, "sitemap", depth)

    def _article_requests(self, links: list[str], run: SourceRun) -> Iterator[Request]:
        stats = run.stats
        longest = self.settings.getint("URLLENGTH_LIMIT")
        fetchable = [url for url in map(_fetchable, links) if url]
        stats.skip("bad-link", len(links) - len(fetchable))
        wanted = [u for u in dict.fromkeys(fetchable) if u not in run.seen]
        known = self.storage.known_urls(wanted)
        for url in wanted:
            run.seen.add(url)
            if url in known or url in self.fetching:
                stats.known += 1
            elif longest and len(url) > longest:
                stats.skip("url-too-long")  # Scrapy would drop it without a word
            elif run.scheduled >= self.config.crawl.max_pages_per_source:
                stats.skip("page-limit")
            else:
                run.scheduled += 1
                run.pending += 1
                self.fetching.add(url)
                # dont_filter: URLs are de-duplicated above by canonical form; Scrapy's filter would also
                # silently drop the second hop of a redirect loop instead of reporting it.
                yield Request(
                    url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"run": run, "kind": "article", "article": url},
                )

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        run = response.meta["run"]
        page = None if run.ended else self._page(response, run)
        if page is None:
            self._settle(run, response.meta["article"])
            return
        yield page  # settled by the item signals once the pipelines are through with it

    def _page(self, response: Response, run: SourceRun) -> FetchedPage | None:
        stats = run.stats
        stats.fetched += 1
        redirected_from = tuple(canonicalize(u) for u in response.meta.get("redirect_urls", ()))
        content_type = _header(response, b"Content-Type") or ""
        if not isinstance(response, TextResponse) or not content_type.lower().encode().startswith(HTML_TYPES):
            stats.skip("not-html")
            for url in (*redirected_from, canonicalize(response.url)):
                self.storage.remember_url(url, "skipped", run.name, response.status, reason="not-html")
            return None
        html, repaired = decode_html(response)
        if repaired:
            stats.error("charset-mismatch")
        return FetchedPage(
            run=run,
            url=canonicalize(response.url),
            html=html,
            fetched=utcnow(),
            redirected_from=redirected_from,
            listed=response.meta["article"],
        )

    def on_error(self, failure: Failure) -> None:
        meta = failure.request.meta
        run = meta["run"]
        try:
            if not run.ended:
                self._failed(failure, run)
        finally:
            self._settle(run, meta.get("article"))

    def _failed(self, failure: Failure, run: SourceRun) -> None:
        request = failure.request
        reason = classify_failure(failure)
        if reason in SKIPS:
            run.stats.skip(reason)
            return
        if request.meta["kind"] == "article" and not is_transient(reason):
            self.storage.remember_url(canonicalize(request.url), "error", run.name, reason=reason)
        self._fail(run, request.meta, reason, f"{request.url}: {reason}")

    def _fail(self, run: SourceRun, meta: dict, reason: str, message: str) -> None:
        run.stats.error(reason)
        if meta.get("start"):
            run.stats.start_failures += 1
            run.stats.message = message

    # -- the end of runs ------------------------------------------------------

    def _item_settled(self, item: FetchedPage, **_: Any) -> None:
        self._settle(item.run, item.listed)

    def _settle(self, run: SourceRun, article: str | None = None) -> None:
        """One request or item of `run` is through; the run ends with its last one."""
        if article:
            self.fetching.discard(article)
        run.pending -= 1
        if run.pending <= 0 and not run.ended:
            # Once a stop signal arrived, what a run did says nothing sure about the source: it was cut short.
            self._end(run, "finished" if self.crawler.crawling else "shutdown")

    def _end(self, run: SourceRun, reason: str) -> None:
        """Close a run. Its feed validators are kept only if it fetched everything they listed:
        otherwise the next run's 304 would hide an article this run failed (or had no room) to fetch."""
        run.ended = reason
        if reason == "timeout":
            run.stats.timed_out = True
            run.stats.error("crawl-timeout")
            limit = f"stopped after {run.time_limit:g}s ([daemon] crawl_timeout)"
            run.stats.message = "; ".join(m for m in (limit, run.stats.message) if m)
        elif reason == "shutdown":  # SIGTERM or Ctrl-C: the run says nothing about the source's health
            run.stats.stopped = reason
        if self.active.get(run.name) is run:
            del self.active[run.name]
        if run.clean():
            with self.storage.transaction():
                for url, v in run.validators.items():
                    self.storage.remember_url(
                        url, v.kind, run.name, v.status, etag=v.etag, last_modified=v.last_modified
                    )
        if self.on_run_done:
            self.on_run_done(run)

    def _expire(self) -> None:
        now = time.monotonic()
        for run in [r for r in self.active.values() if r.overdue(now)]:
            self._end(run, "timeout")

    def _opened(self, spider: scrapy.Spider) -> None:
        self._expiry = create_looping_call(self._expire)
        self._expiry.start(EXPIRE_EVERY, now=False)

    def _idle(self, spider: scrapy.Spider) -> None:
        if self.keep_alive:
            raise DontCloseSpider

    def closed(self, reason: str) -> None:
        if self._expiry is not None and self._expiry.running:
            self._expiry.stop()
        for run in list(self.active.values()):
            self._end(run, "shutdown" if reason == "shutdown" else reason)


def read_listing(response: Response, kind: str, follow: re.Pattern[str] | None, crawl: CrawlConfig) -> ListingLinks:
    """The child sitemaps and the article links a feed, sitemap or section page lists."""
    if kind == "feed":
        return ListingLinks(sitemaps=[], pages=feed_links(response.body, response.url))
    if kind == "sitemap":
        return sitemap_links(response.body, response.url, crawl.max_links_per_listing, crawl.max_inflated_bytes)
    if not isinstance(response, TextResponse):
        raise ValueError("binary")
    return ListingLinks(sitemaps=[], pages=listing_links(response, follow))


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


def _fetchable(link: str) -> str | None:
    """The URL to fetch for a listed link (an AMP or mobile link becomes the regular edition), or None
    for one that is not an http(s) URL: javascript:, mailto:, file:, a port out of range…"""
    try:
        url = desktop_url(link)
        parts = urlsplit(url)
        parts.port  # raises ValueError when out of range
    except ValueError:
        return None
    return url if parts.scheme in SCHEMES and parts.hostname else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
