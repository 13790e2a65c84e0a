"""The daemon behind `newswatch run`: schedules every source, feeds due runs to one long-lived crawl
engine, keeps the books and delivers alerts until stopped.

APScheduler decides when a source is due and queues a run in the SQLite file (newswatch/daemon/runqueue.py);
the engine (crawler/engine.py, a child process watched by newswatch/daemon/supervisor.py) leases it,
crawls it inside its running Scrapy crawl and says `done`; this process then logs the run, updates
the source's health and delivers the alerts. Threads and processes stay the same however many
sources there are: see the README, "One long-lived crawl engine".
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator
from urllib.parse import urlsplit

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import outbox
from alerts.delivery import Dispatcher
from newswatch.daemon import health, runqueue, state
from newswatch.config import Config, SourceConfig
from newswatch.daemon.supervisor import EngineSupervisor, end_leftover_engine, engine_command
from newswatch.daemon.metrics import MetricsServer
from newswatch.models import utcnow
from newswatch.storage import Storage
from newswatch.daemon.triggers import default_jitter, trigger_for

log = logging.getLogger("newswatch.daemon")

SHORT_INTERVAL = 60.0  # seconds; shorter intervals are only polite towards our own machine
SUMMARY_EVERY = 300.0  # seconds between the INFO lines that sum up the runs logged at DEBUG


class Daemon:
    """Queues each source's runs on its schedule for the crawl engine, delivers alerts, stops cleanly on SIGTERM/SIGINT."""

    def __init__(self, config: Config, log_level: str = "WARNING"):
        self.config = config
        self.sources = {s.name: s for s in config.sources if s.enabled}
        self.storage = Storage(config.storage.database)
        self._db_lock = threading.RLock()
        self.dispatcher = Dispatcher(config)
        # Jobs only queue a run (a millisecond's work): two threads serve any number of sources.
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.triggers = {name: _trigger(source, config) for name, source in self.sources.items()}
        self.metrics = MetricsServer(config, self.health_problem) if config.daemon.metrics_port is not None else None
        command = engine_command(config.path.resolve(), log_level)
        self.engines = [
            EngineSupervisor(
                command,
                config.daemon.engine_stall_timeout,
                config.daemon.engine_start_timeout,
                self._engine_said,
                self._engine_lost,
            )
            for _ in range(config.daemon.crawl_workers)
        ]
        self._previous: dict[str, state.ScheduledSource] = {}  # what an earlier daemon planned
        self._stop = threading.Event()
        self._last_beat = time.monotonic()
        self._saved_engines: list[int] = []
        self._tally: Counter[str] = Counter()  # runs since the last summary line
        self._summary_at = time.monotonic()

    # -- lifecycle -----------------------------------------------------------

    def run(self) -> bool:
        """Run until stop(); returns False if the engine had to be killed at the shutdown deadline."""
        self._install_signal_handlers()
        if self.metrics:
            self.metrics.start()
            log.info("metrics on %s/metrics, health check on %s/healthz", self.metrics.url, self.metrics.url)
        self._prepare_database()
        # One worker per channel: delivers when kicked, retries when due (at least every
        # [daemon] retry_every) and sends digests at their time, alerts left pending by an earlier run first.
        self.dispatcher.start()
        for engine in self.engines:
            engine.start()
        self._save_engines()
        self._schedule()
        self.scheduler.start()
        self._save_schedule(self.sources)
        log.info("daemon started: %d source(s) scheduled", len(self.sources))
        if not self.sources:
            log.warning("no enabled sources in %s: only alerts are delivered", self.config.path)
        while not self._stop.wait(1.0):
            for engine in self.engines:
                engine.check()
            self._save_engines()
        return self._shutdown()

    def stop(self) -> None:
        """Stop taking new work; run() then winds down within [daemon] shutdown_timeout."""
        self._stop.set()

    def _install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            log.info("received %s, shutting down", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def _prepare_database(self) -> None:
        with self._db() as db:
            state.ensure_schema(db)
            health.ensure_schema(db)
            outbox.ensure_schema(db)
            runqueue.ensure_schema(db)
            self._previous = state.read_schedule(db)
            earlier = state.read_daemon(db)
            for pid in earlier.engine_pids if earlier else ():
                end_leftover_engine(pid)
            with self.storage.transaction():
                # The engines' crawl runs ([] sources) an earlier daemon left open; a one-off crawl's are its own.
                db.execute("update runs set status = 'interrupted' where status = 'running' and sources = '[]'")
                runqueue.clear(db)
            state.mark_started(db)

    def _shutdown(self) -> bool:
        timeout = self.config.daemon.shutdown_timeout
        deadline = time.monotonic() + timeout
        log.info("stopping: no new runs; asking the crawl engine to stop, waiting up to %gs", timeout)
        self.scheduler.shutdown(wait=False)
        # The engine stops first and leaves the last part of the deadline to bookkeeping and deliveries.
        clean = all([engine.stop(deadline - min(5.0, timeout / 4)) for engine in self.engines])
        if not clean:
            log.warning("killed the crawl engine: it did not stop in time; its runs are crawled again next time")
        if not self.dispatcher.stop(_left(deadline)):
            log.warning("abandoning deliveries in flight: they are sent again after the restart")
        if self.metrics:
            self.metrics.stop()
        with self._db() as db:
            state.mark_stopped(db)
        self.storage.close()
        log.info("daemon stopped")
        return clean

    # -- jobs ------------------------------------------------------------------

    def _schedule(self) -> None:
        now = datetime.now(timezone.utc)
        for source in self.sources.values():
            trigger, jitter = self.triggers[source.name]
            if source.cron is None and source.every < SHORT_INTERVAL and not _all_loopback(source.start_urls):
                log.warning(
                    "source %s is crawled every %gs: intervals under a minute burden the site",
                    source.name,
                    source.every,
                )
            # With a cron expression, the trigger alone decides: APScheduler pauses a job added with
            # next_run_time=None, so the argument is left out rather than passed as None.
            first_run = {} if source.cron else {"next_run_time": self._first_run(source, now, jitter)}
            self.scheduler.add_job(
                self._due,
                trigger,
                args=[source.name],
                id=f"crawl:{source.name}",
                name=f"crawl {source.name}",
                **first_run,
            )
            log.debug("source %s: %s, jitter %gs", source.name, _describe(source), jitter)
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=state.HEARTBEAT_EVERY), id="heartbeat")

    def _first_run(self, source: SourceConfig, now: datetime, jitter: float) -> datetime:
        """The time an earlier daemon planned (restarts must not hammer sites), else soon, spread by jitter."""
        previous = self._previous.get(source.name)
        if previous and previous.next_run and now < previous.next_run <= now + timedelta(seconds=source.every):
            return previous.next_run
        return now + timedelta(seconds=random.uniform(0, jitter))

    def _due(self, source: str) -> None:
        """The source is due: queue a run for the engine, unless its last one is still under way."""
        with self._db() as db, self.storage.transaction():
            queued = runqueue.enqueue(db, source)
            if queued:
                engine = self.engines[0].pid if len(self.engines) == 1 else None
                state.set_schedule(db, source, self._next_run(source), running_since=utcnow(), crawl_pid=engine)
        if not queued:
            log.info("crawl %s is still running: the run due now is skipped", source)

    def _engine_said(self, line: str) -> None:
        """A line from an engine: `alert` (deliver now) or `done SOURCE SOURCE_RUN_ID`."""
        word, _, rest = line.partition(" ")
        if word == "alert":
            self.dispatcher.kick()
        elif word == "done":
            source, _, run_id = rest.rpartition(" ")
            self._settle(source, int(run_id))
        else:
            log.warning("the crawl engine said %r", line)

    def _settle(self, source: str, run_id: int) -> None:
        with self._db() as db:
            row = next(db.query("select * from source_runs where id = ?", [run_id]))
            self._save_schedule([source])
        _log_crawl(source, row, self._next_run(source))
        self._tally.update(runs=1, new=row["new_articles"] or 0, failed=row["ok"] == 0)
        if row["ok"] is not None and source in self.sources:
            with self._db():
                health.update_health(self.storage, source, self.config.daemon.failing_after, self.config.alerts)
        self.dispatcher.kick()  # the health alerts, and any the engine's kicks missed

    def _engine_lost(self, pid: int) -> None:
        """An engine died or was killed: its leased runs go back in the queue and its crawl run is closed."""
        with self._db() as db, self.storage.transaction():
            requeued = runqueue.requeue(db, pid)
            db.execute("update runs set status = 'interrupted' where status = 'running' and sources = '[]'")
        log.warning("%d run(s) the lost engine had under way are queued again", requeued)

    def _heartbeat(self) -> None:
        with self._db() as db:
            state.beat(db)
        self._last_beat = time.monotonic()
        if self._last_beat - self._summary_at >= SUMMARY_EVERY:
            tally, self._tally = self._tally, Counter()
            minutes = (self._last_beat - self._summary_at) / 60
            self._summary_at = self._last_beat
            log.info(
                "last %.0f min: %d run(s), %d new article(s), %d failed run(s)",
                minutes,
                tally["runs"],
                tally["new"],
                tally["failed"],
            )

    # -- state for status, metrics and health --------------------------------

    def _save_engines(self) -> None:
        """Record the engines' pids when they change, so a daemon started after a crash can end them."""
        pids = [e.pid for e in self.engines if e.pid]
        if pids != self._saved_engines:
            with self._db() as db:
                state.set_engines(db, pids)
            self._saved_engines = pids

    def _save_schedule(self, names) -> None:
        """Write the sources' next runs and the runs under way, for `newswatch status` and restarts."""
        with self._db() as db, self.storage.transaction():
            under_way = runqueue.under_way(db)
            for name in names:
                run = under_way.get(name)
                state.set_schedule(
                    db,
                    name,
                    self._next_run(name),
                    running_since=run.leased if run else None,
                    crawl_pid=self.engines[0].pid if run and len(self.engines) == 1 else None,
                )

    def _next_run(self, source: str) -> datetime | None:
        job = self.scheduler.get_job(f"crawl:{source}")
        return job.next_run_time if job else None

    def health_problem(self) -> str | None:
        """Why the daemon is unhealthy (for GET /healthz), or None."""
        if not self.scheduler.running:
            return "scheduler is not running"
        silent = time.monotonic() - self._last_beat
        if silent > state.ALIVE_WITHIN.total_seconds():
            return f"scheduler is stuck: no heartbeat for {silent:.0f}s"
        for engine in self.engines:
            if engine.proc is None or engine.silence() > state.ALIVE_WITHIN.total_seconds():
                return "the crawl engine is not running"
        return None

    @contextmanager
    def _db(self) -> Iterator:
        """The daemon's one connection, used by one thread at a time."""
        with self._db_lock:
            yield self.storage.db


def _trigger(source: SourceConfig, config: Config) -> tuple[BaseTrigger, float]:
    """The source's trigger and jitter (its cron expression was validated with the config)."""
    jitter = default_jitter(source, config.daemon.jitter)
    return trigger_for(source, jitter), jitter


def _describe(source: SourceConfig) -> str:
    return f"cron {source.cron!r}" if source.cron else f"every {source.every:g}s"


def _all_loopback(urls: tuple[str, ...]) -> bool:
    def loopback(url: str) -> bool:
        host = urlsplit(url).hostname or ""
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    return all(loopback(url) for url in urls)


def _log_crawl(source: str, row: dict, next_run: datetime | None) -> None:
    """One line per crawl run with its figures; runs that found nothing new at DEBUG."""
    skipped = sum(json.loads(row["skipped"] or "{}").values())
    errors = sum(json.loads(row["errors"] or "{}").values())
    figures = (
        f"fetched {row['fetched']}, new {row['new_articles']}, duplicates {row['duplicates']}, "
        f"matched {row.get('matched') or 0}, not modified {row.get('not_modified') or 0}, "
        f"skipped {skipped}, errors {errors}"
    )
    when = f"; next run {next_run.astimezone():%H:%M:%S}" if next_run else ""
    seconds = (datetime.fromisoformat(row["finished"]) - datetime.fromisoformat(row["started"])).total_seconds()
    if row["ok"] and not row["new_articles"] and not errors:
        # With thousands of feeds most runs find nothing new: those lines would drown the log.
        log.debug("crawl %s ok in %.1fs: %s%s", source, seconds, figures, when)
    elif row["ok"] is None:
        log.info("crawl %s stopped early in %.1fs: %s: %s%s", source, seconds, row["message"], figures, when)
    elif row["ok"]:
        log.info("crawl %s ok in %.1fs: %s%s", source, seconds, figures, when)
    else:
        message = row["message"] or "no page could be fetched"
        log.warning("crawl %s FAILED in %.1fs: %s: %s%s", source, seconds, message, figures, when)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
