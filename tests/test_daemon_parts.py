"""The daemon's pieces on their own: schedules, crawl subprocess limits, health transitions, log redaction."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from newswatch.cli.run import RedactSecrets, secret_values
from conftest import write_config
from newswatch.config import SourceConfig, load_config
from newswatch.crawlprocess import CrawlProcesses
from newswatch.health import transition
from newswatch.metrics import MetricsServer
from newswatch.models import SourceStats, utcnow
from newswatch.storage import Storage
from newswatch.crontab import cron_trigger, crontab_weekdays
from newswatch.triggers import default_jitter, trigger_for


def test_crontab_weekdays_count_from_sunday():
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("0") == "sun"
    assert crontab_weekdays("7") == "sun"
    assert crontab_weekdays("0,6") == "sun,sat"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert crontab_weekdays("mon-fri") == "mon-fri"
    assert crontab_weekdays("*") == "*"
    assert crontab_weekdays("1-7") == "sun,mon,tue,wed,thu,fri,sat"
    with pytest.raises(ValueError, match="invalid day of week '9'"):
        cron_trigger("0 9 * * 9")


def test_cron_trigger_fires_on_the_crontab_weekday():
    source = SourceConfig(name="s", feeds=("http://example.org/f",), cron="30 9 * * 1")
    trigger = trigger_for(source, 0)
    sunday = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    fire = trigger.get_next_fire_time(None, sunday)
    assert fire.strftime("%A %H:%M") == "Monday 09:30"


def test_default_jitter_is_a_tenth_of_the_interval_at_most_a_minute():
    assert default_jitter(SourceConfig(name="a", every=120.0), None) == 12.0
    assert default_jitter(SourceConfig(name="b", every=3600.0), None) == 60.0
    assert default_jitter(SourceConfig(name="c", cron="*/5 * * * *"), None) == 30.0
    assert default_jitter(SourceConfig(name="d", every=3600.0), 5.0) == 5.0


def test_interval_trigger_jitter_stays_within_bounds():
    trigger = trigger_for(SourceConfig(name="s", every=100.0), 10.0)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    fires = [trigger.get_next_fire_time(now, now) for _ in range(50)]
    offsets = {(f - now).total_seconds() for f in fires}
    assert all(100 <= o <= 110 for o in offsets)
    assert len(offsets) > 1


@pytest.mark.parametrize(
    "failures, announced, expected",
    [
        (0, False, None),
        (2, False, None),
        (3, False, "failing"),
        (4, True, None),
        (0, True, "recovered"),
        (5, False, "failing"),
    ],
)
def test_health_transition(failures, announced, expected):
    assert transition(failures, announced, 3) == expected


def test_secrets_never_reach_the_log(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_AT", "http://hook.example/T0K3N")
    config = write_config(
        tmp_path,
        '[[sources]]\nname = "s"\nfeeds = ["http://127.0.0.1/f"]\n'
        '[[alerts.webhook]]\nname = "w"\nurl_env = "HOOK_AT"\n',
    )
    env = {"SMTP_PASSWORD": "hunter2-very-secret", "HOME": "/home/x"}
    secrets = secret_values(load_config(config), env)
    assert secrets == ["http://hook.example/T0K3N", "hunter2-very-secret"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("login failed with %s at %s", "hunter2-very-secret", "/home/x")
        try:
            raise RuntimeError("POST http://hook.example/T0K3N refused")
        except RuntimeError:
            logger.exception("delivery failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "hunter2" not in text and "T0K3N" not in text
    assert "login failed with *** at /home/x" in text
    assert "RuntimeError: POST *** refused" in text


# A crawl that ignores the polite SIGTERM and has a child of its own (as extraction workers would
# be); it prints the child's pid and creates the file named by its argument once it is ready.
HANG = textwrap.dedent(
    """
    import pathlib, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(child.pid, file=sys.stderr, flush=True)
    pathlib.Path(sys.argv[1]).touch()
    time.sleep(600)
    """
)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    state = open(f"/proc/{pid}/stat").read().split()[2]
    return state == "Z"


def test_a_crawl_over_its_time_limit_is_killed_with_its_children(tmp_path):
    crawls = CrawlProcesses(term_grace=0.5)
    started = time.monotonic()
    done = crawls.run([sys.executable, "-c", HANG, str(tmp_path / "ready")], "slow", timeout=1.0)
    assert done.timed_out and not done.stopped
    assert done.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 1.0 + 0.5 + 3.0  # limit, grace after SIGTERM, slack
    grandchild = int(done.output_tail[0])
    deadline = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild)
    assert crawls.running() == {}


def test_stop_all_ends_running_crawls_by_the_deadline(tmp_path):
    crawls = CrawlProcesses()
    result = {}
    ready = tmp_path / "ready"
    command = [sys.executable, "-c", HANG, str(ready)]
    thread = threading.Thread(target=lambda: result.update(done=crawls.run(command, "slow", timeout=60)))
    thread.start()
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "slow" in crawls.running()
    killed = crawls.stop_all(time.monotonic() + 0.5)
    thread.join(5)
    assert killed == ["slow"]
    assert result["done"].stopped and not result["done"].timed_out
    late = crawls.run([sys.executable, "-c", "print('never')"], "late", timeout=5)
    assert late.stopped and late.output_tail == ()


def test_crawl_error_output_is_kept_for_the_failure_message():
    crawls = CrawlProcesses()
    done = crawls.run([sys.executable, "-c", "import sys; print('table'); sys.exit('boom: feed broken')"], "x", 10)
    assert done.returncode == 1 and not done.timed_out
    assert done.output_tail == ("boom: feed broken",)


def test_metrics_and_health_endpoints(tmp_path):
    config = load_config(
        write_config(
            tmp_path, '[daemon]\nmetrics_port = 0\n[[sources]]\nname = "s"\nfeeds = ["http://127.0.0.1:9/f"]\n'
        )
    )
    storage = Storage(config.storage.database)
    run_id = storage.start_run(["s"])
    storage.record_source_run(run_id, "s", utcnow(), SourceStats(start_urls=1, fetched=7, new_articles=2))
    storage.close()
    problem: list[str] = []
    server = MetricsServer(config, lambda: problem[0] if problem else None)
    server.start()
    try:
        with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
            metrics = response.read().decode()
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
            assert response.status == 200
        problem.append("scheduler is stuck: no heartbeat for 40s")
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(server.url + "/healthz", timeout=10)
    finally:
        server.stop()
    assert 'newswatch_crawls_total{outcome="ok",source="s"} 1.0' in metrics
    assert 'newswatch_pages_fetched_total{source="s"} 7.0' in metrics
    assert 'newswatch_new_articles_total{source="s"} 2.0' in metrics
    assert 'newswatch_source_consecutive_failures{source="s"} 0.0' in metrics
    assert "newswatch_source_last_success_timestamp_seconds" in metrics and "process_open_fds" in metrics
    assert failed.value.code == 503
    assert json.loads(failed.value.read()) == {
        "status": "failing",
        "problem": "scheduler is stuck: no heartbeat for 40s",
    }
