"""The long-lived crawl engine behind `newswatch run`: one Scrapy crawl for the daemon's whole life.

The daemon queues due source runs in the SQLite file (newswatch/daemon/runqueue.py); the engine leases
them, feeds their requests into the running crawl and records each run, in the transaction that
releases its lease, once its last item is stored. It talks to the daemon on stdout, a line each:
`beat` every second from the reactor thread (so a blocked reactor is noticed), `alert` after a
commit that queued an alert, and `done SOURCE SOURCE_RUN_ID` when a run is recorded.
"""

from __future__ import annotations

import os
import sys

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.utils.asyncio import call_later, create_looping_call

from crawler.runs import SourceRun
from crawler.settings import scrapy_settings
from crawler.spiders.news import NewsSpider
from newswatch.daemon import runqueue
from newswatch.config import Config
from newswatch.storage import Storage

BEAT_EVERY = 1.0  # seconds between heartbeats
LEASE_EVERY = 0.25  # seconds between looks at the queue of due runs
RUNS_PER_SLOT = 4  # runs under way at most per request of [crawl] max_concurrency


class Engine:
    """Leases due source runs and crawls them in one long-lived Scrapy crawl."""

    def __init__(self, config: Config, log_level: str = "WARNING"):
        self.config = config
        self.sources = {s.name: s for s in config.sources}
        self.storage = Storage(config.storage.database)
        self.pid = os.getpid()
        self.max_active = RUNS_PER_SLOT * config.crawl.max_concurrency
        self.process = CrawlerProcess(scrapy_settings(config, log_level))
        self.crawler = self.process.create_crawler(NewsSpider)
        self.crawler.signals.connect(self._opened, signal=signals.spider_opened)
        self.crawler.signals.connect(self._closed, signal=signals.spider_closed)
        self._loops: list = []
        self._closing = False

    def run(self) -> None:
        """Crawl until SIGTERM or SIGINT; the runs under way are then recorded as stopped."""
        with self.storage.transaction() as db:
            runqueue.ensure_schema(db)
        self.run_id = self.storage.start_run([])
        self.process.crawl(
            self.crawler,
            config=self.config,
            storage=self.storage,
            on_run_done=self._run_done,
            keep_alive=True,
            dispatcher=self,
        )
        status = "interrupted"
        try:
            self.process.start()
            status = "finished"
        finally:
            self.storage.finish_run(self.run_id, status, {})
            self.storage.close()

    def kick(self) -> None:
        """Called by the storage pipeline after a commit that queued an alert: the daemon delivers it."""
        self._say("alert")

    def _opened(self, spider: NewsSpider) -> None:
        self.spider = spider
        self._loops = [create_looping_call(self._beat), create_looping_call(self._lease)]
        self._loops[0].start(BEAT_EVERY, now=True)
        self._loops[1].start(LEASE_EVERY, now=True)

    def _closed(self, spider: NewsSpider) -> None:
        self._closing = True
        for loop in self._loops:
            if loop.running:
                loop.stop()

    def _lease(self) -> None:
        room = self.max_active - len(self.spider.active)
        if self._closing or not self.crawler.crawling or room <= 0 or not runqueue.any_queued(self.storage.db):
            return
        with self.storage.transaction() as db:
            due = runqueue.lease(db, self.pid, room)
        for item in due:
            source = self.sources.get(item.source)
            if source is None or item.source in self.spider.active:
                with self.storage.transaction() as db:  # a source since removed from the config
                    runqueue.finish(db, item.id)
                continue
            self.spider.add_run(SourceRun(source, self.config.daemon.crawl_timeout, lease=item.id))

    def _run_done(self, run: SourceRun) -> None:
        with self.storage.transaction() as db:
            source_run = self.storage.record_source_run(self.run_id, run.name, run.started, run.stats)
            runqueue.finish(db, run.lease)
        self._say(f"done {run.name} {source_run}")

    def _beat(self) -> None:
        self._say("beat")

    def _say(self, line: str) -> None:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            # The daemon is gone (killed itself): an engine nobody supervises stops.
            if not self._closing:
                self._closing = True
                call_later(0, self.process.stop)
