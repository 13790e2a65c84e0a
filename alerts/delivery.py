"""The dispatcher: one worker per channel claims due messages from the outbox and sends them.

Each channel has its own thread and SQLite connection, so a slow or failing channel never
delays another. Claims are leases in the database (see outbox), so several processes can
deliver from one file without sending a message twice at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from sqlite_utils import Database

from alerts import digest, outbox
from alerts.channels import Channel, DeliveryError, build
from alerts.config import ChannelConfig
from newswatch.config import Config
from newswatch.models import utcnow
from newswatch.storage import Storage

log = logging.getLogger("newswatch.alerts")

HOUR = 3600.0


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # "channel: reason", one per failure

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.problems += other.problems


def retry_delay(attempts: int, backoff: float, backoff_max: float, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter after `attempts` tries, never sooner than the service asked."""
    delay = min(backoff_max, backoff * 2 ** (attempts - 1))
    jittered = delay * (0.5 + random.random() / 2)  # spreads retries of many alerts apart
    return max(jittered, retry_after or 0.0)


class Dispatcher:
    """Delivers the outbox of `config.storage.database` to the channels of `config.alerts`."""

    def __init__(self, config: Config):
        self.config = config
        self.channels: dict[str, Channel] = {c.name: build(c) for c in config.alerts.channels}
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = {name: threading.Event() for name in self.channels}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()  # kick() may come from several threads at once
        with self._storage() as db:
            outbox.ensure_schema(db)

    def start(self) -> None:
        """Run a worker thread per channel: it delivers when kicked and when retries fall due."""
        with self._starting:
            if self._threads:
                return
            for name in self.channels:
                thread = threading.Thread(target=self._run, args=(name,), name=f"alerts-{name}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def kick(self) -> None:
        """Deliver what is due now, in the background (starts the workers if needed)."""
        self.start()
        for event in self._wake.values():
            event.set()

    def deliver_due(self) -> DeliveryReport:
        """Deliver everything due now on every channel at once, and wait for it."""
        report = DeliveryReport()
        if not self.channels:
            return report
        with ThreadPoolExecutor(max_workers=len(self.channels), thread_name_prefix="alerts-pass") as pool:
            for result in pool.map(self._one_pass, self.channels):
                report.merge(result)
        return report

    def send_digests(self, now: datetime | None = None) -> int:
        """Queue the digests whose digest_at time has come by `now` and kick the workers; returns how many.

        Workers also do this on their own, so a daemon may call it on any timer; a digest is
        made once per channel and period however often it is called.
        """
        now = now or utcnow()
        queued = 0
        with self._storage() as db:
            for name, channel in self.channels.items():
                if channel.config.mode == "digest":
                    queued += bool(outbox.fold(db, name, "digest", time.time(), digest.last_slot(channel.config.digest_at, now)))
        if queued and self._threads:
            self.kick()
        return queued

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the workers; a send still running after `timeout` is abandoned (its lease expires, it is retried)."""
        self._stopping.set()
        for event in self._wake.values():
            event.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # -- Workers ------------------------------------------------------------------

    @contextmanager
    def _storage(self) -> Iterator[Database]:
        """A connection of the calling thread's own, closed on exit."""
        storage = Storage(self.config.storage.database)
        try:
            yield storage.db
        finally:
            storage.close()

    def _one_pass(self, name: str) -> DeliveryReport:
        report = DeliveryReport()
        with self._storage() as db:
            self._drain(db, name, report)
        return report

    def _run(self, name: str) -> None:
        wake = self._wake[name]
        with self._storage() as db:
            while not self._stopping.is_set():
                wake.clear()
                try:
                    self._drain(db, name, DeliveryReport())
                    idle = self._idle(db, name)
                except Exception:  # a database hiccup must not end the worker
                    log.exception("alerts: delivery on channel %s failed; trying again later", name)
                    idle = self.config.daemon.retry_every
                wake.wait(idle)

    def _drain(self, db: Database, name: str, report: DeliveryReport) -> None:
        """Send every message of the channel due now; retries that fall due meanwhile wait for the next pass."""
        channel = self.channels[name]
        config = channel.config
        if config.mode == "digest":
            outbox.fold(db, name, "digest", time.time(), digest.last_slot(config.digest_at, utcnow()))
        due_by = time.time()
        while not self._stopping.is_set():
            now = time.time()
            if config.max_per_hour:
                if outbox.messages_sent_since(db, name, now - HOUR) >= config.max_per_hour:
                    outbox.hold_due(db, name, now)
                    return
                if outbox.has_held(db, name) and outbox.fold(db, name, "summary", now):
                    due_by = now
            claim = outbox.claim(db, name, self._owner, config.lease, now, due_by)
            if claim is None:
                return
            self._send(db, channel, claim, report)

    def _send(self, db: Database, channel: Channel, claim: outbox.Claim, report: DeliveryReport) -> None:
        config = channel.config
        try:
            if claim.kind == "alert":
                receipt = channel.send_alert(claim.alerts[0])
            else:
                receipt = channel.send_digest(digest.build(claim.message_id, claim.kind, claim.alerts, config.max_per_hour))
        except DeliveryError as exc:
            self._failed(db, config, claim, exc, report)
            return
        except Exception as exc:  # a bug must neither stop the channel nor lose the alert
            log.exception("alerts: %s: cannot send %s %s", config.name, claim.kind, claim.message_id)
            self._failed(db, config, claim, DeliveryError(f"internal error: {exc!r}", retryable=False), report)
            return
        outbox.mark_sent(db, claim, time.time())
        report.sent += 1
        log.info("alerts: %s: sent %s %s (%s)", config.name, claim.kind, claim.message_id, receipt)

    def _failed(self, db: Database, config: ChannelConfig, claim: outbox.Claim, exc: DeliveryError, report: DeliveryReport) -> None:
        settings = self.config.alerts
        now = time.time()
        if exc.retryable:
            due = now + retry_delay(claim.attempts, settings.backoff, settings.backoff_max, exc.retry_after)
            if due - claim.queued <= settings.max_age:
                outbox.mark_retry(db, claim, due, str(exc))
                report.retrying += 1
                log.warning("alerts: %s: %s %s: %s; retrying in %.1fs", config.name, claim.kind, claim.message_id, exc, due - now)
                return
            reason = f"gave up after {claim.attempts} attempts in {timedelta(seconds=round(now - claim.queued))}: {exc}"
        else:
            reason = str(exc)
        outbox.mark_failed(db, claim, reason)
        report.failed += 1
        report.problems.append(f"{config.name}: {reason}")
        log.error("alerts: %s: %s %s failed: %s", config.name, claim.kind, claim.message_id, reason)

    def _idle(self, db: Database, name: str) -> float:
        """Seconds until the channel has something to do: a retry, an expired lease, or its digest time."""
        now = time.time()
        wake = now + self.config.daemon.retry_every  # also picks up what other processes queue
        due = outbox.next_due(db, name)
        if due is not None:
            wake = min(wake, due)
        config = self.channels[name].config
        if config.mode == "digest":
            wake = min(wake, (digest.last_slot(config.digest_at, utcnow()) + timedelta(days=1)).timestamp())
        return max(0.0, wake - now)

