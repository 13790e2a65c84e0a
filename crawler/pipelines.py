"""Item pipelines: extract the article from the page, then deduplicate, match and store it."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.crawler import Crawler

from crawler.items import FetchedPage
from crawler.pool import extract_in_worker, extract_within, start_pool
from newswatch.models import Article, Skip, TemplateSeen
from newswatch.urls import article_url

if TYPE_CHECKING:
    from extractors.article import Extractor
    from newswatch.ingest import Ingestor

logger = logging.getLogger(__name__)


pool_starting = object()  # a Scrapy signal: the extraction pool has begun to start, which takes a second


class ExtractionPipeline:
    """Runs trafilatura and our cleaner in a pool of `extraction_workers` processes, off the crawl's thread.

    The long-lived engine starts the pool at once and keeps it warm; a one-off crawl starts it with
    its first article request, so a crawl whose feeds answer 304 starts no worker (`newswatch crawl`
    boots the fork server before it imports Scrapy, so that the workers are ready by then: about a
    second of CPU on the other core). The pool starts in a thread of its own; pages that arrive
    meanwhile wait for it. Only with `extraction_workers = 0` are pages extracted in the crawl's
    process, on its one thread, each bounded by `extraction_timeout`. Each page goes with what its source's
    template memory learned so far (small, cached per source); the storage pipeline teaches it.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.pool: ProcessPoolExecutor | None = None
        self._started: Future[None] | None = None  # set when the pool starts; done once it is up, or failed to
        crawler.signals.connect(self._request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ExtractionPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.config = spider.config
        self.templates = spider.templates
        self._extractor: Extractor | None = None  # only without a pool: the workers hold their own
        if spider.keep_alive:
            self._start_pool()

    def _start_pool(self) -> None:
        if self.config.crawl.extraction_workers and self._started is None:
            # Waiting for the workers would block the reactor for half a second or more.
            self._started = Future()
            threading.Thread(target=self._start_workers, name="extraction pool start", daemon=True).start()
            self.crawler.signals.send_catch_log(pool_starting)

    def _start_workers(self) -> None:
        try:
            pool = start_pool(self.config.crawl.extraction_workers, self.config.extraction)
        except Exception:
            logger.exception("the extraction pool did not start; pages are extracted in the crawl process")
        else:
            self.pool = pool  # from here on, pages go to the workers
            logger.info("extraction pool started: %d worker processes", self.config.crawl.extraction_workers)
        finally:
            self._started.set_result(None)

    def _request_scheduled(self, request: Request) -> None:
        if request.meta.get("kind") == "article":
            self._start_pool()

    def close_spider(self) -> None:
        if self._started is not None:
            self._started.result()
        if self.pool:
            self.pool.shutdown(cancel_futures=True)

    def _in_process_extractor(self) -> Extractor:
        if self._extractor is None:
            from extractors.article import Extractor  # trafilatura: the crawl's process imports it only here

            self._extractor = Extractor(self.config.extraction)
        return self._extractor

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        try:
            if self._started is not None and not self._started.done():
                await asyncio.wrap_future(self._started)
            limit = self.config.crawl.extraction_timeout
            source = item.run.source
            memory = self.templates.memory(source.name) if source.template_memory else None
            if self.pool:
                future = self.pool.submit(extract_in_worker, item.html, item.url, limit, memory)
                item.result = await asyncio.wrap_future(future)
            else:
                item.result = extract_within(self._in_process_extractor(), item.html, item.url, limit, memory)
        except Exception:
            logger.exception("source %s: extraction failed for %s", item.source, item.url)
            item.result = None  # counted as an error, and not remembered: the next crawl tries again
        item.html = ""  # the page is no longer needed; don't keep it in memory
        return item


class StoragePipeline:
    """Stores each article with its matches and alert in one transaction, then wakes the alert dispatcher."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._ingestor: Ingestor | None = None
        # The engine starts its pool before this pipeline opens: the spider, not open_spider, holds what it needs.
        crawler.signals.connect(self._ingest_ready, signal=pool_starting)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StoragePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.storage = spider.storage
        self.templates = spider.templates
        self.dispatcher = spider.dispatcher

    def _ingest_ready(self) -> Ingestor:
        """Built while the extraction pool starts (the engine's at once, a one-off crawl's with pages
        waiting for it), else on the first article: a small crawl whose feeds answer 304 never pays for it."""
        if self._ingestor is None:
            from newswatch.ingest import Ingestor  # imports numpy and builds the rule matcher: a third of a second

            self._ingestor = Ingestor(self.crawler.spider.config, self.crawler.spider.storage)
        return self._ingestor

    def process_item(self, item: FetchedPage) -> FetchedPage:
        stats = item.run.stats
        result = item.result
        if result is None:
            stats.error("extraction-failed")
            return item
        if isinstance(result, Skip):
            stats.skip(result.reason)
            with self.storage.transaction():
                for url in (item.url, *item.redirected_from):
                    self.storage.remember_url(url, "skipped", item.source, 200, reason=result.reason)
            return item
        article = Article(
            url=item.url,
            canonical_url=article_url(item.url, result.canonical_url),
            source=item.source,
            title=result.title,
            text=result.text,
            fetched=item.fetched,
            author=result.author,
            published=result.published,
            language=result.language,
        )
        try:
            outcome = self._ingest_ready().ingest(article, item.redirected_from)
        except Exception:
            # The transaction rolled back and the URL is not remembered: the next crawl tries again.
            logger.exception("source %s: could not store %s", item.source, item.url)
            stats.error("store-failed")
            return item
        if not outcome.is_new:
            stats.duplicates += 1
            return item
        if item.run.source.template_memory:
            self._learn(item.source, result.template)
        stats.new_articles += 1
        stats.matched += bool(outcome.matches)
        if outcome.alert is not None and self.dispatcher is not None:
            self.dispatcher.kick()
        return item

    def _learn(self, source: str, seen: TemplateSeen) -> None:
        try:
            self.templates.learn(source, seen)
        except Exception:
            # The article is stored: only this page's lesson is lost, the source's next pages teach the same.
            logger.exception("source %s: template memory could not learn from a page", source)
