"""Hostile feeds and sitemaps: other schemes, internal addresses, sitemap loops, decompression bombs.

Every crawl here has a normal source too, whose articles must be stored whatever the hostile one does.
127.0.0.8 stands in for an internal address: the tests declare it the only private network.
"""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import crawl, query, run_cli, write_config
from crawler.pool import extract_in_worker, start_pool
from newswatch.config import ExtractionConfig
from newswatch.models import Document, Skip
from newswatch.demo.hostile import (
    feed, gzip_bomb, nested_page, redirect, serve_articles, sitemap_index, slow_page, tagless_page, urlset,
)
from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import article_page, build_site
from test_crawl_failures import good_source, last_run, write_defaults
from test_hostile_xml import PASSWD_MARKER, assert_not_in_db, stored_urls

INTERNAL = "127.0.0.8"
ONLY_INTERNAL = f'["{INTERNAL}/32"]'


@pytest.fixture
def internal():
    with SiteServer(root=None, host=INTERNAL) as server:
        yield server


def test_links_that_are_not_http_are_skipped_one_at_a_time(tmp_path, site):
    valid = serve_articles(site, "/news", 2)
    site.route("/news/to-file.html", redirect(302, "file:///etc/passwd"))
    hostile = [
        "file:///etc/passwd",
        "ftp://127.0.0.1/secret",
        "data:text/html,<p>North Korea</p>",
        "javascript:alert(1)",
        "mailto:tips@example.org",
        "http://127.0.0.1:99999/bad-port",
    ]
    site.put("/news/feed.rss", feed(hostile[0], valid[0], *hostile[1:], site.url("/news/to-file.html"), valid[1]))
    config = write_config(
        tmp_path, f'[[sources]]\nname = "mixed"\nfeeds = ["{site.url("/news/feed.rss")}"]\n' + good_source(site)
    )
    crawl(config)
    assert stored_urls(config, "mixed") == set(valid)  # the links after each bad one were followed
    run = last_run(config, "mixed")
    assert run["skipped"] == {"bad-link": len(hostile)}
    assert run["errors"] == {"http-302": 1}  # Scrapy follows no redirect to another scheme
    assert_not_in_db(config, PASSWD_MARKER)
    assert len(stored_urls(config, "good")) == 2


@pytest.mark.parametrize("allowed", [False, True])
def test_discovered_links_into_internal_networks_need_permission(tmp_path, site, internal, allowed):
    public = serve_articles(site, "/news", 1)
    secret = serve_articles(internal, "/admin", 1)
    site.route("/news/moved.html", redirect(301, internal.url("/admin/1.html")))
    site.put("/news/feed.rss", feed(public[0], secret[0], site.url("/news/moved.html")))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "public"\nfeeds = ["{site.url("/news/feed.rss")}"]\n' + good_source(site),
        defaults=write_defaults(private_networks=ONLY_INTERNAL, allow_private_addresses=str(allowed).lower()),
    )
    crawl(config)
    run = last_run(config, "public")
    if allowed:
        assert stored_urls(config, "public") == {public[0], secret[0]}
        assert "private-address" not in run["skipped"]
    else:
        assert stored_urls(config, "public") == set(public)
        assert run["skipped"]["private-address"] == 2  # the direct link and the redirect into it
        assert internal.hit_count() == 0  # not even its robots.txt
    assert len(stored_urls(config, "good")) == 2


def test_a_source_configured_on_an_internal_address_follows_its_own_links(tmp_path, site, internal):
    local = serve_articles(internal, "/intranet", 2)
    internal.put("/intranet/feed.rss", feed(*local))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "intranet"\nfeeds = ["{internal.url("/intranet/feed.rss")}"]\n' + good_source(site),
        defaults=write_defaults(private_networks=ONLY_INTERNAL),
    )
    crawl(config)
    assert stored_urls(config, "intranet") == set(local)
    assert len(stored_urls(config, "good")) == 2


def test_private_networks_must_be_address_ranges(tmp_path):
    config = write_config(tmp_path, "", defaults=write_defaults(private_networks='["10.0.0.0/8", "not-a-network"]'))
    result = run_cli("crawl", "--config", str(config))
    assert result.returncode == 2
    assert "private_networks[2]" in result.stderr and "not-a-network" in result.stderr


def test_sitemap_indexes_that_loop_or_nest_too_deep_stop_with_a_reason(tmp_path, site):
    urls = serve_articles(site, "/deep", 1)
    site.put("/loop.xml", sitemap_index(site.url("/loop.xml")))
    # /level0.xml lists /level1.xml, … ; /level7.xml is the urlset: past the depth limit of 5.
    for level in range(7):
        site.put(f"/level{level}.xml", sitemap_index(site.url(f"/level{level + 1}.xml")))
    site.put("/level7.xml", urlset("", urls))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "loop"\nsitemaps = ["{site.url("/loop.xml")}"]\n'
        f'[[sources]]\nname = "deep"\nsitemaps = ["{site.url("/level0.xml")}"]\n' + good_source(site),
    )
    crawl(config)
    assert site.hits["/loop.xml"] == 1
    assert last_run(config, "loop")["skipped"] == {"sitemap-loop": 1}
    assert [site.hits[f"/level{n}.xml"] for n in range(8)] == [1, 1, 1, 1, 1, 1, 0, 0]
    assert last_run(config, "deep")["skipped"] == {"sitemap-too-deep": 1}
    assert len(stored_urls(config, "good")) == 2


def test_a_gzip_bomb_sitemap_is_refused_once_it_inflates_past_the_limit(tmp_path, site):
    bomb = gzip_bomb(200)
    assert len(bomb) < 2_000_000  # it downloads under max_page_bytes: only the inflation limit stops it
    site.put("/sitemap.xml.gz", bomb, "application/gzip")
    config = write_config(
        tmp_path, f'[[sources]]\nname = "bomb"\nsitemaps = ["{site.url("/sitemap.xml.gz")}"]\n' + good_source(site)
    )
    crawl(config)
    run = last_run(config, "bomb")
    assert run["errors"] == {"too-large": 1}
    assert "20000000 bytes once inflated" in run["message"]
    assert len(stored_urls(config, "good")) == 2


def test_a_small_gzip_sitemap_is_read(tmp_path, site):
    urls = serve_articles(site, "/gz", 2)
    site.put("/sitemap.xml.gz", gzip.compress(urlset("", urls).encode()), "application/gzip")
    config = write_config(tmp_path, f'[[sources]]\nname = "gz"\nsitemaps = ["{site.url("/sitemap.xml.gz")}"]\n')
    crawl(config)
    assert stored_urls(config, "gz") == set(urls)


def test_entries_past_the_listing_limit_are_not_read(tmp_path, site):
    urls = serve_articles(site, "/many", 5)
    site.put("/many/feed.rss", feed(*urls))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "many"\nfeeds = ["{site.url("/many/feed.rss")}"]\n',
        defaults=write_defaults(max_links_per_listing=3),
    )
    crawl(config)
    assert stored_urls(config, "many") == set(urls[:3])
    assert last_run(config, "many")["skipped"] == {"too-many-links": 1}


def test_a_page_over_the_extraction_time_limit_is_skipped(tmp_path, site):
    site.put("/slow/1.html", slow_page())
    site.put("/slow/feed.rss", feed(site.url("/slow/1.html")))
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "slow"\nfeeds = ["{site.url("/slow/feed.rss")}"]\n' + good_source(site),
        defaults=write_defaults(extraction_timeout='"1s"'),
    )
    crawl(config)
    assert last_run(config, "slow")["skipped"] == {"extraction-timeout": 1}
    assert query(config, "select reason from urls where url like '%/slow/1.html'") == [{"reason": "extraction-timeout"}]
    assert len(stored_urls(config, "good")) == 2


def test_an_extraction_worker_over_the_time_limit_is_free_for_the_next_page():
    page = article_page(build_site(1).articles[0])
    with start_pool(1, ExtractionConfig()) as pool:
        slow = pool.submit(extract_in_worker, slow_page(), "http://127.0.0.1/slow.html", 0.5)
        normal = pool.submit(extract_in_worker, page, "http://127.0.0.1/news/1.html", 30)
        assert slow.result(timeout=60) == Skip("extraction-timeout")
        assert isinstance(normal.result(timeout=60), Document)


def test_huge_deep_and_vast_pages_cost_the_others_nothing(tmp_path, site):
    site.put("/odd/huge.html", tagless_page(42), "text/html")
    site.put("/odd/deep.html", nested_page(100_000))
    site.put("/odd/vast.html", slow_page(40_000))  # 80,000 elements
    site.put("/odd/feed.rss", feed(*(site.url(f"/odd/{name}.html") for name in ("huge", "deep", "vast"))))
    config = write_config(
        tmp_path, f'[[sources]]\nname = "odd"\nfeeds = ["{site.url("/odd/feed.rss")}"]\n' + good_source(site)
    )
    crawl(config)
    run = last_run(config, "odd")
    assert run["errors"] == {"too-large": 1}  # max_page_bytes stops the download itself
    # lxml stops nesting at 256 levels, nothing is an article; 80,000 elements are not even tried
    assert run["skipped"] == {"no-content": 1, "too-complex": 1}
    assert len(stored_urls(config, "good")) == 2


def test_sigterm_ends_a_crawl_within_the_shutdown_timeout_while_a_page_is_extracted(tmp_path, site):
    """Without the extraction time limit the slow page would hold its worker, and the shutdown, for 15 s."""
    site.put("/slow/1.html", slow_page(24_000))  # under max_elements: extracted, for 15 s
    site.put("/slow/feed.rss", feed(site.url("/slow/1.html")))
    config = write_config(
        tmp_path,
        good_source(site) + f'[[sources]]\nname = "slow"\nfeeds = ["{site.url("/slow/feed.rss")}"]\n'
        + '[daemon]\nshutdown_timeout = "8s"\n',
        defaults=write_defaults(extraction_timeout='"5s"'),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "newswatch", "crawl", "--config", str(config), "--quiet"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (site.hits["/slow/1.html"] and good_stored(config) == 2):
            time.sleep(0.05)
        assert site.hits["/slow/1.html"] and good_stored(config) == 2
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(8)  # [daemon] shutdown_timeout
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert good_stored(config) == 2
    assert not query(config, "select url from articles where url like '%/slow/%'")


def good_stored(config) -> int:
    try:
        return len(stored_urls(config, "good"))
    except sqlite3.OperationalError:  # no database yet
        return 0
