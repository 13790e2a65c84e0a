"""The extraction process pool: workers forked from a warm fork server, each page under a time limit.

Imports nothing heavy itself, so that `newswatch crawl` can boot the fork server before it imports
Scrapy: the server's own imports (trafilatura, the language model) then run on the other core.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from crawler.timelimit import TimeLimitExceeded, time_limit
from newswatch.models import Document, Skip, TemplateMemory

if TYPE_CHECKING:
    from extractors.article import Extractor
    from newswatch.config import ExtractionConfig

PRELOAD = ["extractors.warmup"]  # what the fork server imports and runs once, for every worker

EXTRACTION_TIMEOUT = "extraction-timeout"  # the skip reason of a page over [crawl] extraction_timeout

_worker_extractor: Extractor | None = None


def _start_worker(config: ExtractionConfig) -> None:
    """Build the extractor once per pool process, not once per page.

    Workers ignore SIGINT and SIGTERM: a stop signal sent to the crawl's process group must let the
    crawl wind down, not break the pool under the pages still being extracted.
    """
    global _worker_extractor
    from extractors.article import Extractor

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _worker_extractor = Extractor(config)


def extract_in_worker(html: str, url: str, limit: float, memory: TemplateMemory | None = None) -> Document | Skip:
    """What a pool worker runs for one page; `memory` is its source's template memory, None when that is off."""
    return extract_within(_worker_extractor, html, url, limit, memory)


def extract_within(
    extractor: Extractor, html: str, url: str, limit: float, memory: TemplateMemory | None = None
) -> Document | Skip:
    """The extractor's answer, or Skip("extraction-timeout") when it takes longer than `limit` seconds."""
    try:
        with time_limit(limit):
            return extractor.extract(html, url, memory)
    except TimeLimitExceeded:
        return Skip(EXTRACTION_TIMEOUT)


def start_pool(workers: int, config: ExtractionConfig) -> ProcessPoolExecutor:
    """A pool of `workers` extraction processes, returned once every one of them is up."""
    # Not fork: the crawl process runs threads (the reactor's, the alert dispatcher's). The fork
    # server imports trafilatura and warms it once, then forks every worker from it, where spawn
    # paid the import (nearly a second of CPU) in each worker.
    context = _context()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(config,))
    try:
        for started in [pool.submit(int) for _ in range(workers)]:
            started.result()
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return pool


def boot_fork_server() -> None:
    """Start the fork server now (it warms up while the caller goes on); the pool forks from it later."""
    _context()
    multiprocessing.forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
