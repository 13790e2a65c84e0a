"""Keeps the crawl engine (crawler/engine.py) running as a child process of the daemon.

The engine runs in a process group of its own, so killing it also ends its extraction workers.
It beats once a second from its reactor thread; one that exits, does not beat within
`start_timeout` of its start, or falls silent for `stall_timeout` after that is killed and
started again, and the daemon requeues the runs it had leased.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

log = logging.getLogger("newswatch.daemon")

TERM_GRACE = 5.0  # seconds an engine gets to stop after SIGTERM before it is killed
RESTART_BACKOFF = (0.0, 1.0, 5.0, 30.0)  # seconds before restarting an engine that died young 1, 2, 3, 4+ times in a row
YOUNG = 60.0  # an engine that dies within this many seconds of its start died young


def engine_command(config_path: Path, log_level: str) -> list[str]:
    return [sys.executable, "-m", "newswatch", "engine", "--config", str(config_path), "--log-level", log_level]


class EngineSupervisor:
    """One engine process: started, watched through its heartbeat, restarted when it dies or hangs."""

    def __init__(
        self,
        command: list[str],
        stall_timeout: float,
        start_timeout: float,
        on_line: Callable[[str], None],
        on_lost: Callable[[int], None],
    ):
        self.command = command
        self.stall_timeout = stall_timeout
        self.start_timeout = start_timeout  # importing Scrapy on a loaded machine can outlast a short stall timeout
        self.on_line = on_line  # every line the engine says but `beat`, on the reader thread
        self.on_lost = on_lost  # the pid of an engine that died or was killed, before the next one starts
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self._started = 0.0
        self._last_beat = 0.0
        self._beaten = False
        self._young_deaths = 0
        self._not_before = 0.0
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            text=True,
            errors="replace",
            bufsize=1,
        )
        self._started = self._last_beat = time.monotonic()
        self._beaten = False
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.proc,), name="engine-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc,), name="engine-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        log.info("crawl engine started (pid %d)", self.proc.pid)

    def silence(self) -> float:
        """Seconds since the engine last beat."""
        return time.monotonic() - self._last_beat

    def _allowed_silence(self) -> float:
        return self.stall_timeout if self._beaten else self.start_timeout

    def check(self) -> None:
        """Restart the engine if it exited or stopped beating; called about once a second."""
        proc = self.proc
        if proc is None:
            if time.monotonic() >= self._not_before:
                self.start()
            return
        if proc.poll() is not None:
            log.warning("crawl engine (pid %d) exited with status %d: restarting it", proc.pid, proc.returncode)
        elif self.silence() > self._allowed_silence():
            what = "sent no heartbeat for %.0fs ([daemon] engine_stall_timeout)"
            if not self._beaten:
                what = "did not start within %.0fs ([daemon] engine_start_timeout)"
            log.warning(f"crawl engine (pid %d) {what}: killing and restarting it", proc.pid, self.silence())
            signal_group(proc.pid, signal.SIGKILL)
        else:
            return
        proc.wait()
        signal_group(proc.pid, signal.SIGKILL)  # extraction workers outlive an engine killed on its own
        self._join_readers(5.0)
        self.proc = None
        self.restarts += 1
        self.on_lost(proc.pid)
        young = time.monotonic() - self._started < YOUNG
        self._young_deaths = self._young_deaths + 1 if young else 0
        delay = RESTART_BACKOFF[min(max(self._young_deaths - 1, 0), len(RESTART_BACKOFF) - 1)]
        self._not_before = time.monotonic() + delay
        if delay:
            log.warning("crawl engine died %d time(s) in a row soon after starting: next start in %gs", self._young_deaths, delay)
        self.check()

    def stop(self, deadline: float) -> bool:
        """SIGTERM the engine (it records its runs as stopped), SIGKILL it at `deadline`; False if it was killed."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return True
        signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
            clean = True
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
            clean = False
        signal_group(proc.pid, signal.SIGKILL)  # its extraction workers, should any be left
        self._join_readers(max(0.5, deadline - time.monotonic()))
        return clean

    def _join_readers(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for reader in self._readers:
            reader.join(max(0.0, end - time.monotonic()))

    def _read_stdout(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            line = line.strip()
            if line == "beat":
                self._last_beat = time.monotonic()
                self._beaten = True
            elif line:
                try:
                    self.on_line(line)
                except Exception:
                    log.exception("the daemon failed to handle the engine's %r", line)
        proc.stdout.close()

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        """What the engine writes to stderr is warnings and errors: logged with its pid."""
        for line in proc.stderr:
            line = line.rstrip()
            if line:
                log.warning("engine %d: %s", proc.pid, line)
        proc.stderr.close()


def end_leftover_engine(pid: int) -> bool:
    """Kill the engine a previous daemon (killed itself) left running, so two never crawl at once."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False  # gone already (or not Linux)
    if b"engine" not in argv or b"newswatch" not in argv:
        return False  # the pid now belongs to another program
    log.warning("ending the crawl engine (pid %d) left running by a previous daemon", pid)
    signal_group(pid, signal.SIGKILL)
    return True


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
