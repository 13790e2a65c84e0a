"""The daemon behind `newswatch run`: crawls each source on its own schedule and delivers alerts until stopped.

Every crawl is a `newswatch crawl --source NAME` subprocess (see newswatch/crawlprocess.py and
the README, "Why one subprocess per crawl"); this process only schedules, keeps the books and delivers.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import signal
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator
from urllib.parse import urlsplit

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import outbox
from alerts.delivery import Dispatcher
from newswatch import daemonstate, health
from newswatch.config import Config, SourceConfig
from newswatch.crawlprocess import CrawlExit, CrawlProcesses, crawl_command, end_leftover_crawl
from newswatch.metrics import MetricsServer
from newswatch.models import SourceStats, utcnow
from newswatch.storage import Storage, iso
from newswatch.triggers import default_jitter, trigger_for

log = logging.getLogger("newswatch.daemon")

SHORT_INTERVAL = 60.0  # seconds; shorter intervals are only polite towards our own machine
CRAWL_START = 10.0  # seconds a crawl process may take to start Python and Scrapy


class Daemon:
    """Schedules one crawl subprocess per source run, delivers alerts, and stops cleanly on SIGTERM/SIGINT."""

    def __init__(self, config: Config):
        self.config = config
        self.sources = [s for s in config.sources if s.enabled]
        self.crawls = CrawlProcesses()
        self.storage = Storage(config.storage.database)
        self._db_lock = threading.RLock()
        self.dispatcher = Dispatcher(config)
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(1),  # the heartbeat
                # One thread per source, so a hung source never waits for a thread another one holds.
                "crawls": ThreadPoolExecutor(max(1, len(self.sources))),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.triggers = {source.name: _trigger(source, config) for source in self.sources}
        self.metrics = MetricsServer(config, self.health_problem) if config.daemon.metrics_port is not None else None
        self._previous: dict[str, daemonstate.ScheduledSource] = {}  # what an earlier daemon planned
        self._stop = threading.Event()
        self._last_beat = time.monotonic()
        self._jobs_done = threading.Condition()
        self._crawl_jobs = 0

    # -- lifecycle -----------------------------------------------------------

    def run(self) -> bool:
        """Run until stop(); returns False if some work had to be abandoned at the shutdown deadline."""
        self._install_signal_handlers()
        if self.metrics:
            self.metrics.start()
            log.info("metrics on %s/metrics, health check on %s/healthz", self.metrics.url, self.metrics.url)
        self._prepare_database()
        # One worker per channel: delivers when kicked, retries when due (at least every
        # [daemon] retry_every) and sends digests at their time, alerts left pending by an earlier run first.
        self.dispatcher.start()
        self._schedule()
        self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.start()
        self._save_state()
        log.info("daemon started: %d source(s) scheduled", len(self.sources))
        if not self.sources:
            log.warning("no enabled sources in %s: only alerts are delivered", self.config.path)
        while not self._stop.wait(1.0):
            pass
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
            daemonstate.ensure_schema(db)
            health.ensure_schema(db)
            outbox.ensure_schema(db)
            self._previous = daemonstate.read_schedule(db)
            for source, scheduled in self._previous.items():
                if scheduled.crawl_pid and scheduled.running_since:
                    end_leftover_crawl(source, scheduled.crawl_pid)
                    for run_id in _unfinished_runs(db, source, scheduled.running_since):
                        self.storage.finish_run(run_id, "interrupted", {})
            daemonstate.mark_started(db)

    def _shutdown(self) -> bool:
        timeout = self.config.daemon.shutdown_timeout
        deadline = time.monotonic() + timeout
        running = self.crawls.running()
        log.info(
            "stopping: no new crawls; asking %d running crawl(s) to stop, waiting up to %gs", len(running), timeout
        )
        self.scheduler.shutdown(wait=False)
        # Crawls stop first and leave the last part of the deadline to bookkeeping and deliveries.
        killed = self.crawls.stop_all(deadline - min(5.0, timeout / 4))
        if killed:
            log.warning("killed crawl(s) that did not stop in time: %s", ", ".join(killed))
        with self._jobs_done:
            clean = self._jobs_done.wait_for(lambda: self._crawl_jobs == 0, timeout=_left(deadline) * 0.5)
        if not self.dispatcher.stop(_left(deadline)):
            log.warning("abandoning deliveries in flight: they are sent again after the restart")
        if self.metrics:
            self.metrics.stop()
        if not clean:
            log.warning("daemon stopped, abandoning the bookkeeping of a crawl that did not finish in time")
            return False
        with self._db() as db:
            daemonstate.mark_stopped(db)
        self.storage.close()
        log.info("daemon stopped")
        return True

    # -- jobs ------------------------------------------------------------------

    def _schedule(self) -> None:
        now = datetime.now(timezone.utc)
        for source in self.sources:
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
                self._crawl_job,
                trigger,
                args=[source],
                id=f"crawl:{source.name}",
                name=f"crawl {source.name}",
                executor="crawls",
                **first_run,
            )
            log.info("source %s: %s, jitter %gs", source.name, _describe(source), jitter)
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=daemonstate.HEARTBEAT_EVERY), id="heartbeat")

    def _first_run(self, source: SourceConfig, now: datetime, jitter: float) -> datetime:
        """The time an earlier daemon planned (restarts must not hammer sites), else soon, spread by jitter."""
        previous = self._previous.get(source.name)
        if previous and previous.next_run and now < previous.next_run <= now + timedelta(seconds=source.every):
            return previous.next_run
        return now + timedelta(seconds=random.uniform(0, jitter))

    def _crawl_job(self, source: SourceConfig) -> None:
        with self._jobs_done:
            self._crawl_jobs += 1
        try:
            self._crawl(source)
        except Exception:
            log.exception("crawl of %s: the daemon failed to handle it", source.name)
        finally:
            with self._jobs_done:
                self._crawl_jobs -= 1
                self._jobs_done.notify_all()

    def _crawl(self, source: SourceConfig) -> None:
        started = utcnow()
        with self._db() as db:
            before = _last_source_run(db)
        command = crawl_command(self.config.path.resolve(), source.name)
        done = self.crawls.run(command, source.name, self._time_limit, on_start=self._save_state)
        self._save_state()
        with self._db() as db:
            row = self._settle_run(db, source.name, started, before, done)
        if row is None:
            log.info("crawl %s stopped by shutdown after %.1fs", source.name, done.seconds)
            return
        _log_crawl(source.name, row, done, self._next_run(source.name))
        if not done.stopped:
            with self._db():
                health.update_health(self.storage, source.name, self.config.daemon.failing_after, self.config.alerts)
        self.dispatcher.kick()  # deliver what the crawl could not (it may have died before delivering)

    def _settle_run(self, db, source: str, started: datetime, before: int, done: CrawlExit) -> dict | None:
        """The `source_runs` row of this crawl; one is written (as failed) when the crawl died without it."""
        rows = list(db.query("select * from source_runs where source = ? and id > ? order by id", [source, before]))
        dangling = _unfinished_runs(db, source, started)
        limit = (
            f"killed after {self._time_limit:g}s ([daemon] crawl_timeout + [crawl] timeout + {CRAWL_START:g}s to start)"
        )
        if rows:
            row = rows[-1]
            if done.timed_out:
                with self.storage.transaction():
                    message = "; ".join(m for m in (limit, row["message"]) if m)
                    db["source_runs"].update(row["id"], {"ok": 0, "message": message})
                row = dict(row, ok=0, message=message)
            return row
        if done.stopped:
            for run_id in dangling:
                self.storage.finish_run(run_id, "interrupted", {})
            return None
        message = (
            limit if done.timed_out else f"crawl process ended with status {done.returncode} without recording the run"
        )
        if done.output_tail:
            message += f": {done.output_tail[-1]}"
        run_id = dangling[0] if dangling else self.storage.start_run([source])
        self.storage.record_source_run(
            run_id, source, started, SourceStats(start_urls=1, start_failures=1, message=message)
        )
        self.storage.finish_run(run_id, "failed", {})
        return next(db.query("select * from source_runs where run_id = ? and source = ?", [run_id, source]))

    @property
    def _time_limit(self) -> float:
        """When a crawl is killed: it closes itself at crawl_timeout, then waits for in-flight downloads."""
        return CRAWL_START + self.config.daemon.crawl_timeout + self.config.crawl.timeout

    def _skipped(self, event: JobSubmissionEvent) -> None:
        if event.job_id.startswith("crawl:"):
            log.info("crawl %s is still running: the run due now is skipped", event.job_id.removeprefix("crawl:"))

    def _heartbeat(self) -> None:
        self._save_state()
        self._last_beat = time.monotonic()

    # -- state for status, metrics and health --------------------------------

    def _save_state(self) -> None:
        """Write the heartbeat and every source's next run, for `newswatch status` and restarts."""
        running = self.crawls.running()
        with self._db() as db, self.storage.transaction():
            daemonstate.beat(db)
            for source in self.sources:
                crawl = running.get(source.name)
                daemonstate.set_schedule(
                    db,
                    source.name,
                    self._next_run(source.name),
                    running_since=crawl.started if crawl else None,
                    crawl_pid=crawl.pid if crawl else None,
                )

    def _next_run(self, source: str) -> datetime | None:
        job = self.scheduler.get_job(f"crawl:{source}")
        return job.next_run_time if job else None

    def health_problem(self) -> str | None:
        """Why the daemon is unhealthy (for GET /healthz), or None."""
        if not self.scheduler.running:
            return "scheduler is not running"
        silent = time.monotonic() - self._last_beat
        if silent > daemonstate.ALIVE_WITHIN.total_seconds():
            return f"scheduler is stuck: no heartbeat for {silent:.0f}s"
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


def _last_source_run(db) -> int:
    """The newest `source_runs` id, to find the row a crawl adds."""
    return next(db.query("select coalesce(max(id), 0) as n from source_runs"))["n"]


def _unfinished_runs(db, source: str, since: datetime) -> list[int]:
    """The `runs` of `source` started since `since` that a killed crawl left marked as running."""
    sql = "select id from runs where status = 'running' and sources = ? and started >= ?"
    return [row["id"] for row in db.query(sql, [json.dumps([source]), iso(since)])]


def _log_crawl(source: str, row: dict, done: CrawlExit, next_run: datetime | None) -> None:
    """One line per crawl run with its figures; the crawl's last output lines when it did not exit cleanly."""
    skipped = sum(json.loads(row["skipped"] or "{}").values())
    errors = sum(json.loads(row["errors"] or "{}").values())
    figures = (
        f"fetched {row['fetched']}, new {row['new_articles']}, duplicates {row['duplicates']}, "
        f"matched {row.get('matched') or 0}, not modified {row.get('not_modified') or 0}, "
        f"skipped {skipped}, errors {errors}"
    )
    when = f"; next run {next_run.astimezone():%H:%M:%S}" if next_run else ""
    if row["ok"] is None:
        log.info("crawl %s stopped early in %.1fs: %s: %s%s", source, done.seconds, row["message"], figures, when)
    elif row["ok"]:
        log.info("crawl %s ok in %.1fs: %s%s", source, done.seconds, figures, when)
    else:
        log.warning(
            "crawl %s FAILED in %.1fs: %s: %s%s",
            source,
            done.seconds,
            row["message"] or "no page could be fetched",
            figures,
            when,
        )
    if done.returncode not in (0, 1) and done.output_tail:
        log.warning(
            "crawl %s exited with status %d; its last output:\n  %s",
            source,
            done.returncode,
            "\n  ".join(done.output_tail),
        )


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
