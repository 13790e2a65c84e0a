"""`newswatch status`: per-source figures, next runs and alert counts, read beside a writing daemon."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import timedelta

import pytest

from alerts import events, outbox
from conftest import run_cli, write_config
from newswatch.daemon import state
from newswatch.cli.status import status_report
from newswatch.config import load_config
from newswatch.models import Article, SourceStats, utcnow
from newswatch.storage import Storage

SOURCES = """
[[sources]]
name = "steady"
feeds = ["http://127.0.0.1:9/steady.rss"]

[[sources]]
name = "broken"
feeds = ["http://127.0.0.1:9/broken.rss"]

[[sources]]
name = "paused"
feeds = ["http://127.0.0.1:9/paused.rss"]
enabled = false

[[alerts.webhook]]
name = "hook"
url = "http://127.0.0.1:9/hook"
"""


def record(storage: Storage, source: str, ok: bool, message: str = "") -> None:
    run_id = storage.start_run([source])
    stats = SourceStats(start_urls=1, start_failures=0 if ok else 1, fetched=3 if ok else 0, message=message)
    storage.record_source_run(run_id, source, utcnow() - timedelta(minutes=5), stats)
    storage.finish_run(run_id, "finished" if ok else "failed", {})


def article(n: int, hours_ago: float) -> Article:
    return Article(
        url=f"http://127.0.0.1:9/news/{n}.html",
        canonical_url=f"http://127.0.0.1:9/news/{n}.html",
        source="steady",
        title=f"Report {n}",
        text="Officials said the shipment left the port.",
        fetched=utcnow() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def config(tmp_path):
    path = write_config(tmp_path, SOURCES)
    config = load_config(path)
    storage = Storage(config.storage.database)
    record(storage, "steady", True)
    record(storage, "steady", True)
    record(storage, "broken", True)
    for _ in range(3):
        record(storage, "broken", False, "http://127.0.0.1:9/broken.rss: HTTP 503")
    with storage.transaction() as db:
        first = storage.insert_article(article(1, 2), content_hash="a")
        storage.insert_article(article(2, 3), content_hash="b", duplicate_of=first)
        storage.insert_article(article(3, 30), content_hash="c")
        storage.insert_article(article(4, 1), content_hash="d")
        state.ensure_schema(db)
        state.mark_started(db)
        state.set_schedule(db, "steady", utcnow() + timedelta(minutes=10))
        state.set_schedule(db, "broken", None, running_since=utcnow() - timedelta(seconds=20), crawl_pid=1)
        for i in range(3):
            outbox.enqueue(db, events.test_alert(utcnow() + timedelta(seconds=i)), config.alerts, time.time())
        db.execute("update deliveries set status = 'failed' where id = 2")
        db.execute("update deliveries set status = 'sent' where id = 3")
    storage.close()
    return path


def test_status_json_while_a_writer_holds_a_transaction(config):
    writer = sqlite3.connect(config.parent / "data" / "newswatch.db", timeout=1)
    writer.execute("begin immediate")
    writer.execute("insert into source_runs (source, started, finished, ok) values ('steady', '2030', '2030', 0)")
    try:
        result = run_cli("status", "--config", str(config), "--json", timeout=30)
    finally:
        writer.rollback()
        writer.close()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["daemon"]["running"] is True
    by_name = {s["name"]: s for s in report["sources"]}
    steady, broken, paused = by_name["steady"], by_name["broken"], by_name["paused"]
    assert steady["last_run_ok"] is True and steady["consecutive_failures"] == 0
    assert steady["new_articles_24h"] == 2  # not the duplicate, not the one from yesterday
    assert steady["next_run"] is not None and steady["running_since"] is None
    assert broken["consecutive_failures"] == 3 and broken["last_run_ok"] is False
    assert broken["last_success"] is not None and broken["message"].endswith("HTTP 503")
    assert broken["running_since"] is not None
    assert paused["enabled"] is False and paused["last_run"] is None
    assert report["alerts"]["pending"] == 1 and report["alerts"]["failed"] == 1 and report["alerts"]["sent"] == 1


def test_status_table_for_people(config):
    result = run_cli("status", "--config", str(config), timeout=30)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("daemon: running (pid ")
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "(ok)" in lines["steady"] and re.search(r"in (9|10)m", lines["steady"])
    assert "(FAILED)" in lines["broken"] and re.search(r"running since 2\ds ago", lines["broken"])
    assert "never" in lines["paused"] and "disabled" in lines["paused"]
    assert "broken: http://127.0.0.1:9/broken.rss: HTTP 503" in out
    assert "alerts: 1 pending, 1 failed" in out


def test_a_silent_daemon_is_shown_as_not_running(config):
    cfg = load_config(config)
    later = utcnow() + timedelta(minutes=5)
    with state.reading(cfg.storage.database) as db:
        report = status_report(db, cfg, later)
    assert report["daemon"]["running"] is False
    assert all(s["next_run"] is None for s in report["sources"])


def test_status_without_a_database_says_so(tmp_path):
    path = write_config(tmp_path, SOURCES)
    result = run_cli("status", "--config", str(path), timeout=30)
    assert result.returncode == 1
    assert "no database yet" in result.stderr and "newswatch.db" in result.stderr
    assert not (tmp_path / "data" / "newswatch.db").exists()
