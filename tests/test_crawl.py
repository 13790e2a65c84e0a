"""End-to-end crawls of a real local site through the real CLI: sources, incrementality, politeness."""

from __future__ import annotations

import json
import os
import pty
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

from conftest import CRAWL_DEFAULTS, crawl, query, run_cli, write_config
from newswatch.demo.synthetic import article_page, build_site, make_article, rss_feed


def put_site(site, count=3, prefix="/news"):
    synthetic = build_site(count, prefix=prefix)
    for path, body in synthetic.pages.items():
        site.put(path, body)
    return synthetic


def source_run(config, source):
    rows = query(config, "select * from source_runs where source = ? order by id desc limit 1", (source,))
    return rows[0]


def test_rss_feed_articles_are_stored_clean(tmp_path, site):
    synthetic = put_site(site, 3)
    config = write_config(
        tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n'
    )
    result = crawl(config)
    assert result.returncode == 0, result.stderr
    rows = query(config, "select * from articles order by url")
    assert len(rows) == 3
    by_title = {r["title"]: r for r in rows}
    for article in synthetic.articles:
        row = by_title[article.title]
        for paragraph in article.paragraphs:
            assert paragraph in row["text"]
        for marker in ("ADVERTISEMENT", "More Related News", "Leave a Comment", "Cancel reply", "Tags"):
            assert marker not in row["text"]
        assert row["author"] == "Staff Reporter"
        assert row["published"].startswith(article.published.date().isoformat())
        assert row["language"] == "en"
        assert row["canonical_url"] == site.url(article.path)
    assert "times" in result.stdout and "3" in result.stdout


def test_atom_feed(tmp_path, site):
    synthetic = put_site(site, 2)
    entries = "".join(
        f'<entry><title>{a.title}</title><link rel="alternate" href="{site.url(a.path)}"/>'
        f"<id>{a.path}</id><updated>2026-01-01T00:00:00Z</updated></entry>"
        for a in synthetic.articles
    )
    site.put("/atom.xml", f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>')
    config = write_config(tmp_path, f'[[sources]]\nname = "atom"\nfeeds = ["{site.url("/atom.xml")}"]\n')
    crawl(config)
    assert query(config, "select count(*) n from articles")[0]["n"] == 2


def test_sitemap_index_and_news_sitemap(tmp_path, site):
    synthetic = put_site(site, 3)
    news = "".join(
        f"<url><loc>{site.url(a.path)}</loc><news:news><news:publication><news:name>T</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>2026-01-01</news:publication_date>"
        f"<news:title>{a.title}</news:title></news:news></url>"
        for a in synthetic.articles
    )
    site.put(
        "/sitemap-news.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{news}</urlset>',
    )
    site.put(
        "/sitemap.xml",
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<sitemap><loc>{site.url("/sitemap-news.xml")}</loc></sitemap></sitemapindex>',
    )
    config = write_config(tmp_path, f'[[sources]]\nname = "maps"\nsitemaps = ["{site.url("/sitemap.xml")}"]\n')
    crawl(config)
    assert query(config, "select count(*) n from articles")[0]["n"] == 3
    assert site.hits["/sitemap-news.xml"] == 1


def test_section_page_follows_only_matching_links(tmp_path, site):
    synthetic = put_site(site, 3)
    links = "".join(f'<li><a href="{a.path}">{a.title}</a></li>' for a in synthetic.articles)
    site.put("/about.html", article_page(make_article(random.Random(1), "/about.html", datetime.now(timezone.utc))))
    site.put("/world/", f'<html><body><a href="/about.html">About</a><ul>{links}</ul></body></html>')
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "world"\npages = ["{site.url("/world/")}"]\nfollow = "/news/\\\\d+\\\\.html"\n',
    )
    crawl(config)
    assert query(config, "select count(*) n from articles")[0]["n"] == 3
    assert site.hits["/about.html"] == 0


def test_second_crawl_fetches_no_article_and_feed_answers_304(tmp_path, site):
    put_site(site, 4)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    assert site.hit_count("/news/") - site.hits["/news/feed.rss"] == 4
    site.reset_hits()
    crawl(config)
    article_hits = site.hit_count("/news/") - site.hits["/news/feed.rss"]
    assert article_hits == 0
    assert source_run(config, "times")["not_modified"] == 1


def test_changed_feed_fetches_only_the_new_article(tmp_path, site):
    synthetic = put_site(site, 3)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    extra = make_article(random.Random(99), "/news/extra.html", datetime(2026, 2, 1, tzinfo=timezone.utc))
    site.put(extra.path, article_page(extra))
    site.put("/news/feed.rss", rss_feed([*synthetic.articles, extra]))
    site.reset_hits()
    crawl(config)
    assert site.hits["/news/extra.html"] == 1
    assert site.hit_count("/news/") - site.hits["/news/feed.rss"] - 1 == 0
    assert query(config, "select count(*) n from articles")[0]["n"] == 4


def test_tracking_parameters_and_fragments_do_not_cause_a_second_fetch(tmp_path, site):
    synthetic = put_site(site, 1)
    path = synthetic.articles[0].path
    feed = rss_feed(list(synthetic.articles)).replace(
        "</channel>",
        f"<item><link>{{{{BASE}}}}{path}?utm_source=twitter&amp;utm_medium=social</link></item>"
        f"<item><link>{{{{BASE}}}}{path}?fbclid=abc#comments</link></item></channel>",
    )
    site.put("/news/feed.rss", feed)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    assert site.hits[path] == 1
    assert query(config, "select url from articles") == [{"url": site.url(path)}]


def test_robots_txt_disallow_holds_for_concurrent_requests(tmp_path, site):
    synthetic = put_site(site, 3)
    private = [make_article(random.Random(i), f"/private/{i}.html", datetime(2026, 1, 2, tzinfo=timezone.utc)) for i in range(4)]
    for article in private:
        site.put(article.path, article_page(article))
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n")
    site.put("/news/feed.rss", rss_feed([*private, *synthetic.articles]))
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    assert site.hit_count("/private/") == 0
    assert json.loads(source_run(config, "times")["skipped"])["robots.txt"] == 4
    assert query(config, "select count(*) n from articles")[0]["n"] == 3


def test_user_agent_identifies_newswatch(tmp_path, site):
    seen = []

    def record(handler):
        seen.append(handler.headers.get("User-Agent"))
        handler.send_response(404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    site.route("/feed.rss", record)
    config = write_config(tmp_path, f'[[sources]]\nname = "ua"\nfeeds = ["{site.url("/feed.rss")}"]\n')
    crawl(config)
    assert seen and all(ua == "newswatch-tests/0.1 (+http://127.0.0.1/)" for ua in seen)


def test_page_declaring_another_canonical_url_is_stored_as_a_copy(tmp_path, site):
    synthetic = put_site(site, 1)
    original = synthetic.articles[0]
    # An edition whose URL says nothing of AMP: only its rel=canonical ties it to the original.
    site.put("/lite/story-1.html", article_page(original, canonical="{{BASE}}" + original.path))
    site.put("/news/feed.rss", rss_feed(list(synthetic.articles)).replace(
        "</channel>", "<item><link>{{BASE}}/lite/story-1.html</link></item></channel>"))
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    rows = query(config, "select url, duplicate_of from articles order by id")
    assert len(rows) == 2
    assert sum(r["duplicate_of"] is None for r in rows) == 1
    assert source_run(config, "times")["new_articles"] == 1 and source_run(config, "times")["duplicates"] == 1


def test_per_domain_concurrency_is_capped(tmp_path, site):
    synthetic = put_site(site, 4)
    in_flight = threading.Condition()
    state = {"now": 0, "peak": 0}

    def held_article(article):
        def handler(request):
            with in_flight:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
                in_flight.notify_all()
                # Stay in flight until a third request joins (the limit is broken) or 1 s passes.
                in_flight.wait_for(lambda: state["now"] > 2, timeout=1.0)
                state["now"] -= 1
            body = site.lookup(article.path).body
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        return handler

    for article in synthetic.articles:
        site.route(article.path, held_article(article))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
        defaults=CRAWL_DEFAULTS.replace("max_concurrency_per_domain = 4", "max_concurrency_per_domain = 2"),
    )
    crawl(config)
    assert query(config, "select count(*) n from articles")[0]["n"] == 4
    assert state["peak"] == 2


def test_retry_waits_for_retry_after_then_stores(tmp_path, site):
    synthetic = put_site(site, 1)
    path = synthetic.articles[0].path
    arrivals = []

    def flaky(request):
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            request.send_response(503)
            request.send_header("Retry-After", "1")
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        body = site.lookup(path).body
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    site.route(path, flaky)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    crawl(config)
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 1.0
    assert query(config, "select count(*) n from articles")[0]["n"] == 1


def test_a_hanging_page_times_out_and_is_counted(tmp_path, site):
    synthetic = put_site(site, 2)
    hang = threading.Event()
    path = synthetic.articles[0].path
    site.route(path, lambda request: hang.wait(10))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
        defaults=CRAWL_DEFAULTS.replace('timeout = "5s"', 'timeout = "1s"').replace("retries = 1", "retries = 0"),
    )
    crawl(config)
    hang.set()
    run = source_run(config, "times")
    assert json.loads(run["errors"]) == {"timeout": 1}
    assert run["new_articles"] == 1


def test_source_option_crawls_only_the_named_sources(tmp_path, site):
    put_site(site, 1, prefix="/a")
    put_site(site, 1, prefix="/b")
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "a"\nfeeds = ["{site.url("/a/feed.rss")}"]\n'
        f'[[sources]]\nname = "b"\nfeeds = ["{site.url("/b/feed.rss")}"]\n',
    )
    crawl(config, "--source", "b")
    assert site.hits["/a/feed.rss"] == 0
    assert [r["source"] for r in query(config, "select source from source_runs")] == ["b"]
    unknown = run_cli("crawl", "--config", str(config), "--source", "nope")
    assert unknown.returncode == 2 and "no source named 'nope' (sources: a, b)" in unknown.stderr


def test_progress_line_on_a_terminal(tmp_path, site):
    put_site(site, 2)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "newswatch", "crawl", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    ) as process:
        os.close(follower)
        out, _ = process.communicate(timeout=120)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes with the process
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
    assert process.returncode == 0
    assert b"\rcrawling 1 source(s):" in seen
    assert "times" in out


def test_polls_of_one_host_skip_the_download_delay_and_the_throttle(tmp_path, site):
    for i in range(30):
        site.put(f"/f/{i}.rss", rss_feed([]))
    sources = "".join(f'[[sources]]\nname = "s{i}"\nfeeds = ["{site.url(f"/f/{i}.rss")}"]\n' for i in range(30))
    slow = CRAWL_DEFAULTS.replace("download_delay = 0", 'download_delay = 10').replace(
        "autothrottle = false", "autothrottle = true"
    )
    config = write_config(tmp_path, sources, defaults=slow)
    # Spaced by the article delay, 30 polls of one host would take 5 minutes: the CLI's timeout would fail the test.
    for _ in range(2):
        result = run_cli("crawl", "--config", str(config), "--quiet", timeout=60)
        assert result.returncode == 0, result.stderr
    assert site.hit_count("/f/") == 60
    assert query(config, "select sum(not_modified) as n from source_runs")[0]["n"] == 30
    assert query(config, "select count(*) as n from source_runs where ok = 1")[0]["n"] == 60  # empty feeds are fine


def test_a_one_off_crawl_starts_the_extraction_pool_only_for_articles(tmp_path, site):
    put_site(site, 3, prefix="/small")
    started = "extraction pool started: 2 worker processes"
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "small"\nfeeds = ["{site.url("/small/feed.rss")}"]\n',
        CRAWL_DEFAULTS + "extraction_workers = 2\n",
    )
    for expect_pool in (True, False):  # three articles; then a feed that answers 304
        result = run_cli("crawl", "--config", str(config), "--quiet", "--log-level", "INFO")
        assert result.returncode == 0, result.stderr
        assert (started in result.stderr) is expect_pool, result.stderr[-2000:]
    assert len(query(config, "select id from articles")) == 3


def _language_model_loaded() -> bool:
    import py3langid.langid

    return py3langid.langid.IDENTIFIER is not None


def test_extraction_workers_start_with_the_language_model_loaded():
    # Forked from a warm fork server, a worker does not load py3langid's model (half a second) itself.
    from crawler.pool import start_pool
    from newswatch.config import ExtractionConfig

    pool = start_pool(1, ExtractionConfig())
    try:
        assert pool.submit(_language_model_loaded).result(timeout=60) is True
    finally:
        pool.shutdown()


def test_pages_are_extracted_off_the_crawl_process_unless_there_is_no_pool(tmp_path, site):
    # Extracted in the crawl process, even the first pages while the pool starts, they would load the
    # language model there too (py3langid logs it).
    put_site(site, 3)
    for name, workers, loads_model_here in (("pool", 2, False), ("nopool", 0, True)):
        folder = tmp_path / name
        folder.mkdir()
        config = write_config(
            folder,
            f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n',
            CRAWL_DEFAULTS + f"extraction_workers = {workers}\n",
        )
        result = run_cli("crawl", "--config", str(config), "--quiet", "--log-level", "debug")
        assert result.returncode == 0, result.stderr[-2000:]
        assert ("initializing identifier" in result.stderr) is loads_model_here
        assert query(config, "select count(*) n from articles")[0]["n"] == 3


def test_a_crawl_opens_no_remote_control_server(tmp_path, site):
    # Scrapy 2.19 would listen for Python code to run and write its token under the user's state folder.
    put_site(site, 1)
    config = write_config(tmp_path, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
    state = tmp_path / "state"
    result = run_cli("crawl", "--config", str(config), "--log-level", "info", env={"XDG_STATE_HOME": str(state)})
    assert result.returncode == 0, result.stderr
    assert query(config, "select count(*) n from articles")[0]["n"] == 1
    assert "Remote control" not in result.stderr
    assert "RemoteControl" not in result.stderr  # Scrapy lists the enabled extensions at info level
    assert not (state / "scrapy").exists()


def test_numpy_starts_no_thread_pool_in_a_newswatch_process():
    # Story signatures import numpy; OpenBLAS would start a thread per core in the crawl and the engine.
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    code = "import os, newswatch.stories.index; print(len(os.listdir('/proc/self/task')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "1"
