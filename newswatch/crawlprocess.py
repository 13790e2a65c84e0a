"""Run `newswatch crawl --source NAME` as a subprocess with a time limit, and stop such crawls on demand.

Scrapy's Twisted reactor cannot be restarted in one process, so every scheduled crawl is a fresh
process: memory never accumulates in the daemon and a hung crawl can be killed. Each crawl gets
its own process group, so killing it also ends any extraction workers it started.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from newswatch.models import utcnow

log = logging.getLogger(__name__)

TERM_GRACE = 5.0  # seconds a crawl gets to stop after SIGTERM before it is killed
OUTPUT_TAIL = 20  # lines of a crawl's error output kept to explain a failure


@dataclass(frozen=True)
class CrawlExit:
    """How one crawl subprocess ended."""

    source: str
    returncode: int
    seconds: float
    timed_out: bool
    stopped: bool  # ended because the daemon is shutting down
    output_tail: tuple[str, ...]


@dataclass(frozen=True)
class RunningCrawl:
    pid: int
    started: datetime


def crawl_command(config_path: Path, source: str) -> list[str]:
    return [sys.executable, "-m", "newswatch", "crawl", "--config", str(config_path), "--source", source]


class CrawlProcesses:
    """The crawl subprocesses running now, at most one per source."""

    def __init__(self, term_grace: float = TERM_GRACE) -> None:
        self.term_grace = term_grace
        self._running: dict[str, tuple[subprocess.Popen, datetime]] = {}
        self._lock = threading.Condition()
        self._stopping = False

    def run(
        self, command: list[str], source: str, timeout: float, on_start: Callable[[], None] | None = None
    ) -> CrawlExit:
        """Run `command` for `source` until it exits or `timeout` seconds pass.

        The crawl's summary table (stdout) is dropped, the daemon logs its own line from the database;
        what the crawl writes to stderr is warnings and errors, logged here with the source name."""
        started = time.monotonic()
        with self._lock:
            if self._stopping:
                return CrawlExit(source, -signal.SIGTERM, 0.0, False, True, ())
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                text=True,
                errors="replace",
            )
            self._running[source] = (proc, utcnow())
        timed_out = threading.Event()
        timer = threading.Timer(timeout, self._expire, args=(proc, timed_out, self.term_grace))
        timer.daemon = True
        timer.start()
        tail: deque[str] = deque(maxlen=OUTPUT_TAIL)
        try:
            if on_start:
                try:
                    on_start()
                except Exception:
                    log.exception("crawl %s: could not record its start", source)
            for line in proc.stderr:
                line = line.rstrip()
                if line:
                    tail.append(line)
                    log.warning("crawl %s: %s", source, line)
            returncode = proc.wait()
        finally:
            timer.cancel()
            proc.stderr.close()
            with self._lock:
                del self._running[source]
                stopped = self._stopping
                self._lock.notify_all()
        return CrawlExit(source, returncode, time.monotonic() - started, timed_out.is_set(), stopped, tuple(tail))

    def running(self) -> dict[str, RunningCrawl]:
        with self._lock:
            return {source: RunningCrawl(proc.pid, started) for source, (proc, started) in self._running.items()}

    def stop_all(self, deadline: float) -> list[str]:
        """Ask every crawl to stop (SIGTERM), kill those still running at `deadline`; returns the killed sources."""
        with self._lock:
            self._stopping = True
            for proc, _ in self._running.values():
                _signal_group(proc, signal.SIGTERM)
            self._lock.wait_for(lambda: not self._running, timeout=max(0.0, deadline - time.monotonic()))
            for proc, _ in self._running.values():
                _signal_group(proc, signal.SIGKILL)
            return list(self._running)

    @staticmethod
    def _expire(proc: subprocess.Popen, timed_out: threading.Event, grace: float) -> None:
        timed_out.set()
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)


def end_leftover_crawl(source: str, pid: int) -> None:
    """Kill the crawl a previous daemon (killed itself) left running, so it cannot overlap the next one."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return  # gone already (or not Linux)
    if b"crawl" not in argv or source.encode() not in argv:
        return  # the pid now belongs to another program
    log.warning("ending the crawl of %s (pid %d) left running by a previous daemon", source, pid)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
