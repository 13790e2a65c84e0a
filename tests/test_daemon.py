"""The real daemon as a subprocess against a local site and a real webhook receiver: alerts while
running, clean SIGTERM, SIGKILL and restart, hung sources, source health, metrics and health check."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from conftest import CRAWL_DEFAULTS, REPO, free_port, query, run_cli, write_config
from newswatch.demo.receivers import WebhookReceiver
from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import SyntheticArticle, article_page, build_site, rss_feed

HELD = 30.0  # seconds a hanging route waits at most, so a test run never leaves threads behind

RULES = """
[[rules]]
name = "officials"
category = "test"
[rules.groups]
who = ["officials", "ministry", "government"]

[alerts]
per = "article"
"""


def daemon_config(tmp_path: Path, hook: WebhookReceiver, sources: str, daemon: str = "", timeout: str = "5s") -> Path:
    return write_config(
        tmp_path,
        RULES
        + f'\n[[alerts.webhook]]\nname = "hook"\nurl = "{hook.url}"\ntimeout = "5s"\n'
        + f"\n[daemon]\n{daemon}\n"
        + sources,
        defaults=crawl_settings(timeout),
    )


def crawl_settings(timeout: str = "5s") -> str:
    """The shared test settings, with a category for RULES, no retries and this download timeout."""
    tuned = CRAWL_DEFAULTS.replace("retries = 1", "retries = 0").replace('timeout = "5s"', f'timeout = "{timeout}"')
    return 'categories = ["test"]\n' + tuned


class DaemonProcess:
    """`newswatch run` as a subprocess with its log in a file."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "newswatch", "run", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )

    def wait_for_alerts(self, hook: WebhookReceiver, n: int, timeout: float) -> list:
        """The webhook requests once `n` arrived; fails at once, with the log, if the daemon died."""
        wait_until(lambda: len(hook.requests) >= n or self.proc.poll() is not None, timeout, f"{n} alerts")
        assert self.proc.poll() is None, self.log_text()
        return hook.requests

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float, sig: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def daemons():
    """Started daemons; any still running at the end are killed, with the crawls they left."""
    started: list[DaemonProcess] = []

    def start(config: Path, log: Path) -> DaemonProcess:
        started.append(DaemonProcess(config, log))
        return started[-1]

    yield start
    for daemon in started:
        daemon.kill()
        for pid in engine_pids(daemon.config):
            _kill_group(pid)


def rows(config: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of the daemon's database, or none while it (or the table) does not exist yet."""
    if not (config.parent / "data" / "newswatch.db").exists():
        return []
    try:
        return query(config, sql, params)
    except sqlite3.OperationalError:
        return []


def engine_pids(config: Path) -> list[int]:
    """The crawl engines the daemon on this database last said it runs."""
    found = rows(config, "select engine_pids from daemon")
    return json.loads(found[0]["engine_pids"] or "[]") if found else []


def _schedule(config: Path) -> list[dict]:
    return rows(config, "select * from schedule where crawl_pid is not null")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def feed_source(name: str, url: str, every: str = "1s") -> str:
    return f'\n[[sources]]\nname = "{name}"\nfeeds = ["{url}"]\nevery = "{every}"\n'


def put_articles(site, articles: list[SyntheticArticle], prefix: str = "/news") -> None:
    for article in articles:
        site.put(article.path, article_page(article))
    site.put(f"{prefix}/feed.rss", rss_feed(articles))


def hold_route(site, path: str, release: threading.Event, page: str = "<rss/>", first_only: bool = False) -> None:
    """`path` hangs until `release` (at most HELD s), then answers `page`; first_only: only its first request hangs."""
    calls = []

    def handler(request) -> None:
        calls.append(1)
        if not first_only or len(calls) == 1:
            release.wait(HELD)
        body = page.replace("{{BASE}}", site.base_url).encode()
        try:
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the crawl that asked was killed meanwhile

    site.route(path, handler)


def crawl_seconds(config: Path) -> float:
    rows = query(config, "select started, finished from source_runs")
    return max(
        (datetime.fromisoformat(r["finished"]) - datetime.fromisoformat(r["started"])).total_seconds() for r in rows
    )


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_new_article_is_alerted_while_running_then_sigterm_exits_cleanly(tmp_path, site, hook, daemons):
    synthetic = build_site(3)
    put_articles(site, synthetic.articles[:2])
    port = free_port()
    config = daemon_config(
        tmp_path,
        hook,
        feed_source("times", site.url("/news/feed.rss")),
        f'metrics_port = {port}\nshutdown_timeout = "10s"',
    )
    daemon = daemons(config, tmp_path / "daemon.log")

    daemon.wait_for_alerts(hook, 2, timeout=40)
    status = json.loads(run_cli("status", "--config", str(config), "--json").stdout)
    assert status["daemon"]["running"] and status["daemon"]["pid"] == daemon.proc.pid
    times = status["sources"][0]
    assert times["name"] == "times" and times["new_articles_24h"] == 2 and times["consecutive_failures"] == 0
    assert times["last_run_ok"] is True and (times["next_run"] or times["running_since"])
    assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    code, metrics = http_get(f"http://127.0.0.1:{port}/metrics")
    assert code == 200 and 'newswatch_new_articles_total{source="times"} 2.0' in metrics
    assert 'newswatch_alerts{status="sent"} 2.0' in metrics

    added = time.time()
    put_articles(site, synthetic.articles)
    requests = daemon.wait_for_alerts(hook, 3, timeout=30)
    # One interval (1 s) plus the crawl then under way and the one that finds it.
    assert requests[2].arrived - added <= 1.1 + 2 * crawl_seconds(config) + 2.0
    assert requests[2].json["url"] == site.url(synthetic.articles[2].path)

    code, took = daemon.terminate(timeout=20)
    assert code == 0 and took <= 10
    log = daemon.log_text()
    assert "crawl times ok in" in log and "daemon stopped" in log
    assert "ERROR" not in log, log  # the engine's log comes through the daemon's
    assert len({r.headers["X-Newswatch-Id"] for r in hook.requests}) == len(hook.requests) == 3
    assert not json.loads(run_cli("status", "--config", str(config), "--json").stdout)["daemon"]["running"]


def test_sigkill_mid_crawl_then_restart_loses_nothing_and_resends_nothing(tmp_path, site, hook, daemons):
    synthetic = build_site(6)
    put_articles(site, synthetic.articles)
    release = threading.Event()
    for article in synthetic.articles[3:]:
        hold_route(site, article.path, release, article_page(article), first_only=True)
    config = daemon_config(tmp_path, hook, feed_source("times", site.url("/news/feed.rss")))
    try:
        first = daemons(config, tmp_path / "first.log")
        first.wait_for_alerts(hook, 3, timeout=40)  # the quick half is stored and alerted; the crawl waits on the rest
        wait_until(lambda: site.hit_count(synthetic.articles[5].path), 10, "the held pages to be requested")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)

        second = daemons(config, tmp_path / "second.log")
        requests = second.wait_for_alerts(hook, 6, timeout=40)
        runs = len(query(config, "select id from source_runs"))
        wait_until(lambda: len(query(config, "select id from source_runs")) >= runs + 2, 20, "two more crawls")
    finally:
        release.set()
    assert "left running by a previous daemon" in second.log_text()
    ids = [r.headers["X-Newswatch-Id"] for r in hook.requests]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(r.json["url"] for r in requests) == sorted(site.url(a.path) for a in synthetic.articles)
    assert query(config, "select count(*) as n from articles")[0]["n"] == 6
    assert query(config, "select count(*) as n from deliveries where status != 'sent'")[0]["n"] == 0
    assert second.terminate(timeout=40)[0] == 0
    statuses = [r["status"] for r in query(config, "select status from runs order by id")]
    assert statuses[0] == "interrupted" and "running" not in statuses  # the killed crawl's run is settled


def test_hung_source_does_not_hold_up_another_and_its_health_is_announced(tmp_path, site, hook, daemons):
    put_articles(site, build_site(1).articles)
    release = threading.Event()
    hold_route(site, "/slow/feed.rss", release)
    config = daemon_config(
        tmp_path,
        hook,
        feed_source("fast", site.url("/news/feed.rss")) + feed_source("slow", site.url("/slow/feed.rss")),
        'crawl_timeout = "2s"\nfailing_after = 2',
        timeout="4s",
    )
    try:
        daemon = daemons(config, tmp_path / "daemon.log")
        slow_runs = lambda: rows(config, "select * from source_runs where source = 'slow' order by id")  # noqa: E731
        first_slow = wait_until(slow_runs, 40, "the first run of the hung source")[0]
        assert first_slow["ok"] == 0 and json.loads(first_slow["errors"]).get("crawl-timeout") == 1
        within = rows(
            config,
            "select * from source_runs where source = 'fast' and started >= ? and finished <= ?",
            (first_slow["started"], first_slow["finished"]),
        )
        assert within, "no crawl of the fast source ran while the hung one was waiting"
        assert {r["run_id"] for r in within} == {first_slow["run_id"]}  # in the same engine, which went on

        failing = wait_until(
            lambda: [r for r in hook.requests if r.json.get("event") == "source.failing"], 40, "a source.failing alert"
        )
        assert failing[0].json["source"] == "slow"
        release.set()
        site.put("/slow/feed.rss", rss_feed([]))
        site.routes.pop("/slow/feed.rss")
        wait_until(
            lambda: [r for r in hook.requests if r.json.get("event") == "source.recovered"],
            40,
            "a source.recovered alert",
        )
    finally:
        release.set()
    events = [r.json["event"] for r in hook.requests if r.json["event"].startswith("source.")]
    assert events == ["source.failing", "source.recovered"]
    assert "crawl slow FAILED" in daemon.log_text()
    assert daemon.terminate(timeout=40)[0] == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_hung_crawl_exits_0_within_the_bound(tmp_path, site, hook, daemons, sig):
    release = threading.Event()
    hold_route(site, "/slow/feed.rss", release)
    config = daemon_config(
        tmp_path, hook, feed_source("slow", site.url("/slow/feed.rss")), 'shutdown_timeout = "3s"', timeout="60s"
    )
    try:
        daemon = daemons(config, tmp_path / "daemon.log")
        wait_until(lambda: site.hit_count("/slow/"), 30, "the hung feed to be requested")
        crawl_pid = wait_until(lambda: _schedule(config), 10, "the crawl's pid")[0]["crawl_pid"]
        code, took = daemon.terminate(timeout=20, sig=sig)
    finally:
        release.set()
    assert code == 0
    assert took <= 3 + 1.5
    assert not Path(f"/proc/{crawl_pid}").exists() or "Z" in Path(f"/proc/{crawl_pid}/stat").read_text().split()[2]


def test_config_error_is_one_line_and_exit_2_before_anything_starts(tmp_path):
    config = write_config(
        tmp_path, '[daemon]\nshutdown_timout = "5s"\n[[sources]]\nname = "s"\nfeeds = ["http://127.0.0.1:9/f"]\n'
    )
    result = run_cli("run", "--config", str(config), timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "shutdown_timout" in result.stderr and "did you mean" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_cron_source_is_scheduled_next_to_an_interval_source(tmp_path, site, hook, daemons):
    put_articles(site, build_site(1).articles)
    sources = feed_source("every", site.url("/news/feed.rss")) + (
        f'\n[[sources]]\nname = "nightly"\nfeeds = ["{site.url("/news/feed.rss")}"]\ncron = "30 2 * * *"\n'
    )
    config = daemon_config(tmp_path, hook, sources)
    daemon = daemons(config, tmp_path / "daemon.log")

    def next_runs():
        result = run_cli("status", "--config", str(config), "--json")
        planned = {s["name"]: s["next_run"] for s in json.loads(result.stdout)["sources"]} if result.returncode == 0 else {}
        return planned if all(planned.get(name) for name in ("every", "nightly")) else None

    planned = wait_until(next_runs, 30, "both sources to be scheduled")
    nightly = datetime.fromisoformat(planned["nightly"]).astimezone()  # crontab times are local times
    assert (nightly.hour, nightly.minute) == (2, 30)
    assert daemon.terminate(timeout=40)[0] == 0


# -- the long-lived crawl engine -------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def thread_count(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
    return total


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_one_engine_crawls_sources_on_different_schedules_and_hosts(tmp_path, site, hook, daemons):
    put_articles(site, build_site(2).articles)
    with SiteServer(root=None, host="127.0.0.5") as other:
        other.put("/wire/feed.rss", rss_feed([]))
        config = daemon_config(
            tmp_path,
            hook,
            feed_source("often", site.url("/news/feed.rss"), every="1s")
            + feed_source("seldom", other.url("/wire/feed.rss"), every="3s"),
        )
        config.write_text(config.read_text().replace("[crawl]\n", '[crawl]\nrobots_txt_ttl = "4s"\n', 1))
        daemon = daemons(config, tmp_path / "daemon.log")
        engine = wait_until(lambda: engine_pids(config), 30, "the engine")[0]
        count = lambda name: len(rows(config, "select id from source_runs where source = ?", (name,)))  # noqa: E731
        wait_until(lambda: count("often") >= 12 and count("seldom") >= 3, 60, "runs of both sources")
        assert engine_pids(config) == [engine] and alive(engine)
        assert process_tree(daemon.proc.pid)[1] == engine  # the daemon's only child
        often_robots, seldom_robots = site.hit_count("/robots.txt"), other.hit_count("/robots.txt")
    runs = {r["run_id"] for r in query(config, "select run_id from source_runs")}
    engine_runs = query(config, "select id from runs where sources = '[]'")
    assert len(runs) == 1 and runs == {engine_runs[0]["id"]} and len(engine_runs) == 1
    # robots.txt once per host, and again once the copy is older than robots_txt_ttl (4 s).
    assert 2 <= often_robots <= count("often") // 3
    assert 1 <= seldom_robots <= 3
    assert len(daemon.wait_for_alerts(hook, 2, timeout=10)) == 2
    log = daemon.log_text()
    assert log.count("crawl often ok") == 1 and "crawl seldom ok" not in log  # runs that find nothing: DEBUG
    assert daemon.terminate(timeout=40)[0] == 0
    statuses = {r["status"] for r in query(config, "select status from runs")}
    assert statuses == {"finished"}


def test_500_sources_keep_the_thread_and_process_count_of_two(tmp_path, site, hook, daemons):
    for i in range(500):
        site.put(f"/f/{i}.rss", rss_feed([]))
    config = daemon_config(
        tmp_path, hook, "".join(feed_source(f"s{i}", site.url(f"/f/{i}.rss"), every="4s") for i in range(500))
    )
    daemon = daemons(config, tmp_path / "daemon.log")
    samples: list[tuple[int, int]] = []

    def polled_twice() -> bool:
        tree = process_tree(daemon.proc.pid)
        samples.append((len(tree), thread_count(tree)))
        done = rows(config, "select count(*) as n from (select source from source_runs group by source having count(*) >= 2)")
        return bool(done) and done[0]["n"] == 500

    wait_until(polled_twice, 120, "every source to run twice")
    assert site.hit_count("/f/") >= 1000
    # The daemon, one engine, its extraction pool (a worker per core, the fork server and multiprocessing's
    # resource tracker), and no more: never a process or a thread per source.
    steady = samples[len(samples) // 2 :]
    assert len({processes for processes, _ in steady}) == 1 and steady[0][0] <= 4 + os.cpu_count(), str(samples)
    assert max(threads for _, threads in samples) <= 40, str(samples)
    assert daemon.terminate(timeout=40)[0] == 0


def _held_crawl(tmp_path, site, hook, daemon_settings: str = ""):
    """Six articles, the last three of which hang on their first request; the daemon's config."""
    synthetic = build_site(6)
    put_articles(site, synthetic.articles)
    release = threading.Event()
    for article in synthetic.articles[3:]:
        hold_route(site, article.path, release, article_page(article), first_only=True)
    config = daemon_config(tmp_path, hook, feed_source("times", site.url("/news/feed.rss")), daemon_settings)
    return synthetic, release, config


def _all_alerted_once(config: Path, hook: WebhookReceiver, site, synthetic) -> None:
    ids = [r.headers["X-Newswatch-Id"] for r in hook.requests]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(r.json["url"] for r in hook.requests) == sorted(site.url(a.path) for a in synthetic.articles)
    assert query(config, "select count(*) as n from articles")[0]["n"] == 6


def test_an_engine_killed_mid_crawl_is_restarted_and_its_run_crawled_again(tmp_path, site, hook, daemons):
    synthetic, release, config = _held_crawl(tmp_path, site, hook)
    try:
        daemon = daemons(config, tmp_path / "daemon.log")
        daemon.wait_for_alerts(hook, 3, timeout=40)
        wait_until(lambda: site.hit_count(synthetic.articles[5].path), 10, "the held pages to be requested")
        killed = engine_pids(config)[0]
        workers = process_tree(killed)[1:]
        os.kill(killed, signal.SIGKILL)  # the engine alone: its extraction workers are the daemon's to end
        daemon.wait_for_alerts(hook, 6, timeout=40)
    finally:
        release.set()
    assert engine_pids(config) and engine_pids(config)[0] != killed and daemon.proc.poll() is None
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 10, "the dead engine's workers to end")
    _all_alerted_once(config, hook, site, synthetic)
    log = daemon.log_text()
    assert f"crawl engine (pid {killed}) exited" in log and "queued again" in log
    assert daemon.terminate(timeout=40)[0] == 0
    statuses = [r["status"] for r in query(config, "select status from runs order by id")]
    assert statuses == ["interrupted", "finished"]


def test_a_hung_engine_is_killed_and_restarted_without_loss_or_duplicates(tmp_path, site, hook, daemons):
    synthetic, release, config = _held_crawl(tmp_path, site, hook, 'engine_stall_timeout = "5s"')
    try:
        daemon = daemons(config, tmp_path / "daemon.log")
        daemon.wait_for_alerts(hook, 3, timeout=40)
        wait_until(lambda: site.hit_count(synthetic.articles[5].path), 10, "the held pages to be requested")
        hung = engine_pids(config)[0]
        os.kill(hung, signal.SIGSTOP)  # alive, but silent: no heartbeat, no progress
        release.set()
        daemon.wait_for_alerts(hook, 6, timeout=40)
    finally:
        release.set()
    assert engine_pids(config)[0] != hung
    assert wait_until(lambda: not alive(hung), 10, "the hung engine to be killed")
    assert f"crawl engine (pid {hung}) sent no heartbeat" in daemon.log_text()
    _all_alerted_once(config, hook, site, synthetic)
    assert daemon.terminate(timeout=40)[0] == 0
