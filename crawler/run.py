"""`newswatch crawl`: one crawl of the selected sources in this process, recorded as one crawl run.

Scrapy's reactor cannot be restarted, so this runs once per process; the daemon's long-lived
engine (crawler/engine.py) feeds its runs into one crawl instead.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Callable

from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from alerts.delivery import Dispatcher
from crawler.runs import SourceRun
from crawler.settings import scrapy_settings
from crawler.spiders.news import NewsSpider
from newswatch.config import Config, SourceConfig
from newswatch.errors import NewswatchError
from newswatch.models import SourceStats, utcnow
from newswatch.storage import Storage

Progress = Callable[[dict[str, SourceStats]], None]


@dataclass
class CrawlResult:
    run_id: int
    stats: dict[str, SourceStats]

    @property
    def all_failed(self) -> bool:
        return bool(self.stats) and not any(s.ok for s in self.stats.values())


def select_sources(config: Config, names: list[str] | None) -> list[SourceConfig]:
    """The named sources (ConfigError for an unknown name), or every enabled one."""
    if names:
        return [config.source(name) for name in names]
    return [s for s in config.sources if s.enabled]


def crawl(
    config: Config,
    source_names: list[str] | None = None,
    *,
    progress: Progress | None = None,
    log_level: str = "WARNING",
    deliver: bool = True,
) -> CrawlResult:
    """Fetch every selected source once; alerts go out right after each article commits."""
    sources = select_sources(config, source_names)
    storage = Storage(config.storage.database)
    runs = [SourceRun(source, config.daemon.crawl_timeout) for source in sources]
    report = {run.name: run.stats for run in runs}
    started = utcnow()
    run_id = storage.start_run([s.name for s in sources])
    dispatcher = Dispatcher(config) if deliver else None
    if dispatcher:
        dispatcher.start()
    ticker = _Ticker(progress, report) if progress else None
    try:
        process = CrawlerProcess(scrapy_settings(config, log_level))
        failures: list[Failure] = []
        process.crawl(
            NewsSpider,
            config=config,
            storage=storage,
            runs=runs,
            dispatcher=dispatcher,
        ).addErrback(failures.append)
        if ticker:
            ticker.start()
        process.start()
        if failures:
            raise NewswatchError(f"the crawl could not run: {failures[0].getErrorMessage()}")
    finally:
        if ticker:
            ticker.stop()
        for name, stats in report.items():
            storage.record_source_run(run_id, name, started, stats)
        if any(s.stopped for s in report.values()):
            status = "interrupted"
        elif report and not any(s.ok for s in report.values()):
            status = "failed"
        else:
            status = "finished"
        storage.finish_run(run_id, status, {name: asdict(stats) for name, stats in report.items()})
        if dispatcher:
            dispatcher.deliver_due()
            dispatcher.stop(config.daemon.shutdown_timeout)
        storage.close()
    return CrawlResult(run_id, report)


class _Ticker:
    """Calls `progress(report)` twice a second from a side thread while the crawl runs."""

    def __init__(self, progress: Progress, report: dict[str, SourceStats]):
        self.progress, self.report = progress, report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.progress(self.report)  # the final figures

    def _run(self) -> None:
        while True:
            self.progress(self.report)
            if self._stop.wait(0.5):
                return
