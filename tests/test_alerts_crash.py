"""Delivery across processes: a deliverer killed mid-send, and several deliverers sharing one database.

The deliverers are real `newswatch alerts deliver` subprocesses; the receiver is a real HTTP server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alerts import events, outbox
from newswatch.config import Config, load_config
from newswatch.demo.receivers import WebhookReceiver
from newswatch.storage import Storage

EPOCH = datetime(2024, 11, 5, tzinfo=timezone.utc)


def setup(tmp_path: Path, hook: WebhookReceiver, timeout: str, alerts: int) -> tuple[Path, Config, list[str]]:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndatabase = "nw.db"\n\n[[alerts.webhook]]\nname = "ops"\nurl = "{hook.url}"\ntimeout = "{timeout}"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    storage = Storage(config.storage.database)
    queued = [events.source_failing(f"source-{i}", 3, "HTTP 503", at=EPOCH + timedelta(minutes=i)) for i in range(alerts)]
    with storage.transaction():
        for alert in queued:
            outbox.enqueue(storage.db, alert, config.alerts)
    storage.close()
    return path, config, [a.id for a in queued]


def deliverer(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newswatch", "alerts", "deliver", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def delivery_row(config: Config) -> dict:
    storage = Storage(config.storage.database)
    try:
        return next(storage.db.query("select * from deliveries"))
    finally:
        storage.close()


def test_deliverer_killed_between_send_and_commit_resends_with_the_same_id(tmp_path):
    with WebhookReceiver() as hook:
        path, config, [alert_id] = setup(tmp_path, hook, timeout="1s", alerts=1)
        hook.hold()  # the POST arrives, but its answer waits until the deliverer is dead
        process = deliverer(path)
        hook.wait_for(1, timeout=30)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        hook.release()

        row = delivery_row(config)
        assert row["status"] == "pending" and row["attempts"] == 1 and row["lease_until"] > time.time()
        storage = Storage(config.storage.database)
        assert outbox.claim(storage.db, "ops", "another-deliverer", 10, time.time()) is None  # still leased
        storage.close()

        deadline = time.monotonic() + 30
        pause = threading.Event()
        while delivery_row(config)["lease_until"] > time.time():  # the lease of the dead process runs out
            assert time.monotonic() < deadline
            pause.wait(0.05)
        again = deliverer(path)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert "sent 1" in out
        first, second = hook.requests
        assert first.headers["X-Newswatch-Id"] == second.headers["X-Newswatch-Id"] == alert_id
        assert first.json["id"] == second.json["id"] == alert_id and second.status == 200

        last = deliverer(path)
        out, _ = last.communicate(timeout=60)
        assert "sent 0" in out and len(hook.requests) == 2
        assert delivery_row(config)["status"] == "sent"


def test_concurrent_deliverers_send_each_alert_once(tmp_path):
    with WebhookReceiver() as hook:
        path, config, alert_ids = setup(tmp_path, hook, timeout="20s", alerts=30)
        hook.hold()  # each deliverer is stuck on its first claim until all three have claimed one
        processes = [deliverer(path) for _ in range(3)]
        first = hook.wait_for(3, timeout=60)
        assert len({r.json["id"] for r in first}) == 3
        hook.release()
        reports = [p.communicate(timeout=120) for p in processes]
        assert all(p.returncode == 0 for p in processes), reports
        received = Counter(r.json["id"] for r in hook.requests)
        assert received == Counter(alert_ids)
        assert sum(int(out.split("sent ")[1].split(",")[0]) for out, _ in reports) == 30
