"""The daemon's pieces on their own: schedules, engine supervision, health transitions, log redaction."""

from __future__ import annotations

import io
import json
import logging
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from scrapy.resolver import dnscache

from crawler.dns import forget_stale
from newswatch.cli.run import RedactSecrets, secret_values
from conftest import write_config
from newswatch.config import SourceConfig, load_config
from newswatch.daemon.supervisor import EngineSupervisor
from newswatch.daemon.health import transition
from newswatch.daemon.metrics import MetricsServer
from newswatch.models import SourceStats, utcnow
from newswatch.storage import Storage
from newswatch.crontab import cron_trigger, crontab_weekdays
from newswatch.daemon.triggers import default_jitter, trigger_for


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


def test_interval_runs_keep_their_phase_while_cron_runs_are_jittered():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    trigger = trigger_for(SourceConfig(name="s", every=900.0), 60.0)
    fire = start
    for _ in range(100):
        fire = trigger.get_next_fire_time(fire, fire)
    # A hundred runs later the source is still on its grid: no jitter piled up from run to run.
    assert fire == start + timedelta(seconds=900 * 100)
    cron = trigger_for(SourceConfig(name="c", cron="0 * * * *"), 30.0)
    after = start + timedelta(minutes=1)
    fires = {cron.get_next_fire_time(None, after) for _ in range(30)}
    assert len(fires) > 1
    assert all(timedelta(hours=1) <= f - start <= timedelta(hours=1, seconds=30) for f in fires)


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


# An engine that ignores the polite SIGTERM and has a child of its own (as extraction workers are);
# it says its child's pid, beats `beats` times a tenth of a second apart, then hangs without a word.
ENGINE = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("child", child.pid, flush=True)
    for _ in range(int(sys.argv[1])):
        print("beat", flush=True)
        time.sleep(0.1)
    time.sleep(600)
    """
)


class Heard:
    """What a supervisor reported: the engine's lines and the pids of the engines it lost."""

    def __init__(self):
        self.lines: list[str] = []
        self.lost: list[int] = []
        self.event = threading.Event()

    def line(self, text: str) -> None:
        self.lines.append(text)
        self.event.set()

    def children(self) -> list[int]:
        return [int(line.split()[1]) for line in self.lines if line.startswith("child ")]


def _poll(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        status = open(f"/proc/{pid}/stat").read()
    except OSError:
        return True
    return status.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_an_engine_that_stops_beating_is_killed_with_its_children_and_restarted():
    heard = Heard()
    supervisor = EngineSupervisor([sys.executable, "-c", ENGINE, "3"], 1.0, 60.0, heard.line, heard.lost.append)
    supervisor.start()
    first = supervisor.pid
    try:
        assert _poll(lambda: heard.children(), 10)
        assert _poll(lambda: (supervisor.check(), supervisor.pid not in (None, first))[1], 15)
        assert heard.lost == [first] and supervisor.restarts == 1
        assert _poll(lambda: _gone(heard.children()[0]), 5), "the hung engine's child outlived it"
        assert _poll(lambda: len(heard.children()) == 2, 10), "the new engine did not start"
    finally:
        assert not supervisor.stop(time.monotonic() + 0.5)  # it ignores SIGTERM: killed at the deadline
    assert _poll(lambda: all(_gone(pid) for pid in heard.children()), 5)


def test_a_slow_start_is_not_a_stall_but_an_engine_that_never_beats_is_restarted(caplog):
    heard = Heard()
    # Silent for 2.5 s (more than the stall timeout, as importing Scrapy on a busy machine can be), then beating.
    slow = "import time\ntime.sleep(2.5)\nfor n in range(30):\n    print('beat' if n < 29 else 'up', flush=True)\n    time.sleep(0.1)"
    supervisor = EngineSupervisor([sys.executable, "-c", slow], 1.0, 30.0, heard.line, heard.lost.append)
    supervisor.start()
    first = supervisor.pid
    try:
        assert _poll(lambda: (supervisor.check(), heard.lines)[1], 15)
        assert heard.lines == ["up"] and supervisor.pid == first and supervisor.restarts == 0
    finally:
        supervisor.stop(time.monotonic() + 5)
    mute_engine = [sys.executable, "-c", "import time; time.sleep(600)"]
    mute = EngineSupervisor(mute_engine, 30.0, 1.0, heard.line, heard.lost.append)
    mute.start()
    first = mute.pid
    try:
        with caplog.at_level(logging.WARNING, logger="newswatch.daemon"):
            assert _poll(lambda: (mute.check(), mute.pid not in (None, first))[1], 15)
        assert heard.lost == [first]
        assert f"crawl engine (pid {first}) did not start within 1s ([daemon] engine_start_timeout)" in caplog.text
    finally:
        mute.stop(time.monotonic() + 5)


def test_an_engine_that_exits_is_restarted_and_its_lines_reach_the_daemon():
    heard = Heard()
    script = "import sys; print('done feed 7', flush=True); sys.exit(3)"
    supervisor = EngineSupervisor([sys.executable, "-c", script], 60.0, 60.0, heard.line, heard.lost.append)
    supervisor.start()
    first = supervisor.pid
    assert _poll(lambda: (supervisor.check(), heard.lost)[1], 10)
    assert heard.lost[0] == first and supervisor.pid not in (None, first)  # the first restart comes at once
    assert heard.lines[0] == "done feed 7"
    supervisor.stop(time.monotonic() + 5)


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


def test_a_cached_address_is_forgotten_once_older_than_the_dns_ttl():
    dnscache["news.example"] = "192.0.2.7"
    cached_at = {"news.example": 100.0}
    forget_stale(cached_at, "news.example", ttl=3600, now=3000.0)
    assert dnscache.get("news.example") == "192.0.2.7"
    forget_stale(cached_at, "news.example", ttl=3600, now=3701.0)
    assert "news.example" not in dnscache and "news.example" not in cached_at
