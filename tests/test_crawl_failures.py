"""Broken sources and pages are counted per source and never stop the crawl."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

from conftest import CRAWL_DEFAULTS, crawl, free_port, query, write_config
from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import article_page, build_site, make_article, rss_feed


def respond(status: int, body: bytes = b"", headers: dict | None = None):
    def handler(request):
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return handler


def last_run(config, source):
    row = query(config, "select * from source_runs where source = ? order by id desc limit 1", (source,))[0]
    row["errors"], row["skipped"] = json.loads(row["errors"]), json.loads(row["skipped"])
    return row


def good_source(site, tmp_name="good"):
    synthetic = build_site(2, prefix=f"/{tmp_name}")
    for path, body in synthetic.pages.items():
        site.put(path, body)
    return f'[[sources]]\nname = "{tmp_name}"\nfeeds = ["{site.url(f"/{tmp_name}/feed.rss")}"]\n'


def test_broken_sources_are_reported_and_the_others_still_run(tmp_path, site):
    site.put("/bad/feed.rss", "<rss><channel><item><title>unclosed")
    site.put("/bad/sitemap.xml", "this is not xml at all")
    dead = f"http://127.0.0.1:{free_port()}/feed.rss"
    config = write_config(
        tmp_path,
        good_source(site)
        + f'[[sources]]\nname = "badfeed"\nfeeds = ["{site.url("/bad/feed.rss")}"]\n'
        + f'[[sources]]\nname = "badmap"\nsitemaps = ["{site.url("/bad/sitemap.xml")}"]\n'
        + f'[[sources]]\nname = "dead"\nfeeds = ["{dead}"]\n'
        + f'[[sources]]\nname = "gone"\nfeeds = ["{site.url("/missing.rss")}"]\n',
    )
    result = crawl(config)
    assert result.returncode == 0
    assert query(config, "select count(*) n from articles")[0]["n"] == 2
    assert last_run(config, "good")["ok"] == 1
    assert last_run(config, "badfeed")["errors"] == {"malformed-feed": 1}
    assert last_run(config, "badmap")["errors"] == {"malformed-sitemap": 1}
    assert last_run(config, "dead")["errors"] == {"connection-refused": 1}
    assert last_run(config, "gone")["errors"] == {"http-404": 1}
    for name in ("badfeed", "badmap", "dead", "gone"):
        assert last_run(config, name)["ok"] == 0
        assert name in result.stdout
    assert "FAILED" in result.stdout and "failed sources:" in result.stdout


def test_every_source_failing_exits_1(tmp_path):
    config = write_config(tmp_path, f'[[sources]]\nname = "dead"\nfeeds = ["http://127.0.0.1:{free_port()}/f"]\n')
    result = crawl(config)
    assert result.returncode == 1
    assert "every source failed" in result.stderr


def test_bad_article_responses_are_counted(tmp_path, site):
    rng = random.Random(5)
    ok = make_article(rng, "/news/ok.html", datetime(2026, 1, 1, tzinfo=timezone.utc))
    site.put(ok.path, article_page(ok))
    cp1251 = make_article(rng, "/news/cp1251.html", datetime(2026, 1, 1, tzinfo=timezone.utc))
    russian = (
        "Россия и КНДР договорились о новых поставках. Северокорейские рабочие прибыли на стройки "
        "в Донецке, сообщают источники в правительстве. Эксперты считают, что число рабочих будет расти."
    )
    site.put(cp1251.path, article_page(cp1251).replace("<p>", f"<p>{russian}</p><p>", 1).encode("cp1251"), "text/html")
    site.route("/news/binary.html", respond(200, bytes(range(256)) * 50, {"Content-Type": "application/octet-stream"}))
    site.route("/news/huge.html", respond(200, b"<html>" + b"x" * 200_000, {"Content-Type": "text/html"}))
    site.route("/news/loop-a.html", respond(302, headers={"Location": "/news/loop-b.html"}))
    site.route("/news/loop-b.html", respond(302, headers={"Location": "/news/loop-a.html"}))
    site.route("/news/error.html", respond(500))
    site.route("/news/missing.html", respond(404))
    listed = ["ok", "cp1251", "binary", "huge", "loop-a", "error", "missing"]
    site.put(
        "/news/feed.rss",
        "<rss version='2.0'><channel>"
        + "".join(f"<item><link>{{{{BASE}}}}/news/{name}.html</link></item>" for name in listed)
        + "</channel></rss>",
    )
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "mixed"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
        defaults=write_defaults(max_page_bytes=100_000),
    )
    result = crawl(config)
    assert result.returncode == 0
    run = last_run(config, "mixed")
    assert run["ok"] == 1
    assert run["new_articles"] == 2
    assert run["skipped"].get("not-html") == 1
    assert run["errors"] == {
        "too-large": 1,
        "redirect-loop": 1,
        "http-500": 1,
        "http-404": 1,
        "charset-mismatch": 1,
    }
    texts = {r["url"].rsplit("/", 1)[1]: r["text"] for r in query(config, "select url, text from articles")}
    assert russian in texts["cp1251.html"]
    assert site.hits["/news/error.html"] == 2  # one retry


def test_permanent_errors_are_remembered_and_transient_ones_retried_next_crawl(tmp_path, site):
    site.route("/news/error.html", respond(503))
    site.route("/news/missing.html", respond(404))
    site.put(
        "/news/feed.rss",
        "<rss version='2.0'><channel><item><link>{{BASE}}/news/error.html</link></item>"
        "<item><link>{{BASE}}/news/missing.html</link></item></channel></rss>",
    )
    config = write_config(tmp_path, f'[[sources]]\nname = "s"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    site.reset_hits()
    crawl(config)
    assert site.hits["/news/feed.rss"] == 1 and site.hits["/news/missing.html"] == 0
    assert site.hits["/news/error.html"] == 2, "a 5xx article is tried again, and the feed is not trusted to 304"


def test_non_article_pages_are_skipped_with_a_reason(tmp_path, site):
    links = "".join(f'<li><a href="/other/{i}.html">Headline number {i}</a></li>' for i in range(60))
    site.put("/news/listing.html", f"<html><body><h1>Section</h1><ul>{links}</ul></body></html>")
    site.put("/news/short.html", "<html><head><title>Short</title></head><body><article><p>Only a line of text here.</p></article></body></html>")
    site.put("/news/feed.rss", rss_feed([]).replace("</channel>", "<item><link>{{BASE}}/news/listing.html</link></item><item><link>{{BASE}}/news/short.html</link></item></channel>"))
    config = write_config(tmp_path, f'[[sources]]\nname = "s"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    run = last_run(config, "s")
    assert run["new_articles"] == 0
    assert sum(run["skipped"].values()) == 2
    assert query(config, "select count(*) n from articles")[0]["n"] == 0
    kinds = {r["url"].rsplit("/", 1)[1]: r["kind"] for r in query(config, "select url, kind from urls")}
    assert kinds["listing.html"] == kinds["short.html"] == "skipped"


def test_missing_database_directory_is_created_and_wal_is_on(tmp_path, site):
    config = write_config(tmp_path, good_source(site))
    assert not (tmp_path / "data").exists()
    crawl(config)
    assert (tmp_path / "data" / "newswatch.db").is_file()
    assert query(config, "pragma journal_mode")[0]["journal_mode"] == "wal"


def write_defaults(**crawl_overrides) -> str:
    extra = "".join(f"{key} = {value}\n" for key, value in crawl_overrides.items())
    return CRAWL_DEFAULTS + extra


def test_a_stopped_crawl_loses_nothing_and_counts_as_neither_success_nor_failure(tmp_path, site):
    """SIGTERM to the crawl's process group (as the daemon sends it) while extraction workers run."""
    synthetic = build_site(30)
    for path, body in synthetic.pages.items():
        site.put(path, body)
    held = synthetic.articles[-1].path
    release = threading.Event()

    def hold(request):
        release.wait(20)
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    body = site.lookup(held).body
    site.route(held, hold)
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "s"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
        defaults=write_defaults(extraction_workers=2),
    )
    crawl_process = subprocess.Popen(
        [sys.executable, "-m", "newswatch", "crawl", "--config", str(config), "--quiet"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (site.hits[held] and stored(config) >= 5):
            time.sleep(0.1)
        assert site.hits[held], "the crawl never reached the held page"
        os.killpg(crawl_process.pid, signal.SIGTERM)
        release.set()
        crawl_process.wait(60)
    finally:
        release.set()
        if crawl_process.poll() is None:
            os.killpg(crawl_process.pid, signal.SIGKILL)
    run = last_run(config, "s")
    assert run["ok"] is None and "stopped early" in run["message"]
    assert query(config, "select status from runs")[0]["status"] == "interrupted"
    assert not query(config, "select url from urls where kind = 'skipped'")
    crawl(config)
    assert stored(config) == 30
    assert last_run(config, "s")["ok"] == 1


def stored(config) -> int:
    try:
        return query(config, "select count(*) n from articles")[0]["n"]
    except sqlite3.OperationalError:  # the crawl has not created the database yet
        return 0


def test_articles_over_the_page_limit_are_fetched_by_the_next_runs(tmp_path, site):
    for path, body in build_site(3).pages.items():
        site.put(path, body)
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "s"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
        defaults=write_defaults(max_pages_per_source=1),
    )
    counts = []
    for _ in range(3):
        crawl(config)
        counts.append(stored(config))
    assert counts == [1, 2, 3], "a 304 must not hide the articles the page limit left for later"


def test_a_hanging_host_does_not_hold_up_the_others(tmp_path, site):
    release = threading.Event()
    answered: list[float] = []
    fetched: list[float] = []
    with SiteServer(root=None, host="127.0.0.5") as slow:
        stuck = build_site(4, prefix="/stuck")
        slow.put("/stuck/feed.rss", rss_feed(stuck.articles))
        for article in stuck.articles:

            def hang(request, page=article_page(article).replace("{{BASE}}", slow.base_url).encode()):
                release.wait(4)
                answered.append(time.monotonic())
                respond(200, page, {"Content-Type": "text/html; charset=utf-8"})(request)

            slow.route(article.path, hang)
        quick = build_site(12, prefix="/quick")
        for path, body in quick.pages.items():
            site.put(path, body)
        for article in quick.articles:

            def count(request, page=article_page(article).replace("{{BASE}}", site.base_url).encode()):
                fetched.append(time.monotonic())
                respond(200, page, {"Content-Type": "text/html; charset=utf-8"})(request)

            site.route(article.path, count)

        def late_feed(request):  # the stuck host's articles are queued first
            release.wait(1)
            feed = rss_feed(quick.articles).replace("{{BASE}}", site.base_url).encode()
            respond(200, feed, {"Content-Type": "application/rss+xml"})(request)

        site.route("/quick/feed.rss", late_feed)
        sources = (
            f'[[sources]]\nname = "stuck"\nfeeds = ["{slow.url("/stuck/feed.rss")}"]\n'
            f'[[sources]]\nname = "quick"\nfeeds = ["{site.url("/quick/feed.rss")}"]\n'
        )
        limits = CRAWL_DEFAULTS.replace("max_concurrency_per_domain = 4", "max_concurrency = 4\nmax_concurrency_per_domain = 2")
        config = write_config(tmp_path, sources, defaults=limits.replace('timeout = "5s"', 'timeout = "20s"'))
        crawl(config)
    assert len(fetched) == 12 and len(answered) == 4
    # The quick host's pages were all fetched while the other host's first two were still hanging.
    assert max(fetched) < min(answered)
    assert query(config, "select count(*) as n from articles")[0]["n"] == 16
