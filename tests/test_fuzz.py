"""Feed, sitemap and page parsing on garbage: only the declared refusals, never a crash.

The examples are the smallest inputs bench/hostile.py's fuzz run found crashing; the property tests
replay a fixed, derandomised set of generated inputs of the same shapes.
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.spiders.feed import MalformedFeed, feed_links
from crawler.spiders.sitemap import MalformedSitemap, SitemapTooLarge, sitemap_links
from extractors.article import Extractor
from newswatch.models import Document, Skip

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
BASE = "http://127.0.0.1/news/"
FRAGMENTS = st.sampled_from(
    ["&#xD800;", "&#9999999;", "&#0;", "&amp;", "<![CDATA[", "]]>", "http://[", "//]", "p://[", "<?pi x?>",
     "2026-01-01T00:00:00+25:00", "Mon, 32 Foo 2026 25:61:61 +9999", "\x00", "\ud7ff", "é", "<", ">", "&"]
)
TEXT = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=8).map("".join)


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(f"<item><title>{title}</title><link>{link}</link></item>" for title, link in items)
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode("utf-8", "surrogatepass")


def test_a_bad_character_reference_costs_one_title_not_the_feed():
    body = rss(("&#xD800; bad", "http://127.0.0.1/news/1.html"), ("&#9999999;", "/news/2.html"))
    assert feed_links(body, BASE) == ["http://127.0.0.1/news/1.html", "http://127.0.0.1/news/2.html"]


@pytest.mark.parametrize("body", [b"\x1f\x8b", b"\x1f\x8b\x08", b"\x1f\x8b\x08\x00u\x90\xcdN\x021"])
def test_a_truncated_gzip_sitemap_is_malformed(body):
    with pytest.raises(MalformedSitemap, match="gzip"):
        sitemap_links(body, BASE, 100, 10_000)


def test_an_unparseable_loc_is_passed_on_for_the_crawl_to_count_and_the_others_kept():
    body = b"<urlset><url><loc>p://[</loc></url><url><loc>/news/1.html</loc></url></urlset>"
    assert sitemap_links(body, BASE, 100, 10_000).pages == ["p://[", "http://127.0.0.1/news/1.html"]


def test_a_bad_character_reference_costs_one_loc_not_the_sitemap():
    body = b"<urlset><url><loc>/a&#xD800;</loc></url><url><loc>/news/1.html</loc></url></urlset>"
    assert sitemap_links(body, BASE, 100, 10_000).pages[1] == "http://127.0.0.1/news/1.html"


@pytest.mark.parametrize(
    "html",
    [
        "<p>2026-1-1T00:00:00+2500<title>",  # htmldate: an offset past 24 hours
        '<link rel="canonical"href=//]><',  # urljoin: an invalid IPv6 host
        "<object><main></main><e>",  # lxml's drop_tree, from htmldate
    ],
)
def test_hostile_markup_is_skipped_not_a_failed_extraction(html):
    assert isinstance(Extractor().extract(html, BASE + "1.html"), Skip)


@FUZZ
@given(st.lists(st.tuples(TEXT, st.one_of(TEXT, st.just("/news/1.html"))), max_size=5), st.binary(max_size=64))
def test_feed_links_refuses_only_as_malformed(items, tail):
    try:
        links = feed_links(rss(*items) + tail, BASE)
    except MalformedFeed:
        return
    assert all(isinstance(link, str) for link in links)


@FUZZ
@given(st.lists(TEXT, max_size=5), st.booleans(), st.integers(0, 40))
def test_sitemap_links_refuses_only_as_malformed_or_too_large(locs, zipped, cut):
    body = ("<urlset>" + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>").encode("utf-8", "surrogatepass")
    if zipped:
        body = gzip.compress(body)[: -cut or None]
    try:
        sitemap_links(body, BASE, 3, 2_000)
    except (MalformedSitemap, SitemapTooLarge):
        pass


@FUZZ
@given(st.lists(st.one_of(TEXT, st.sampled_from(["<p>", "</p>", "<title>", "<main>", "<object>", "<a href=", '<link rel="canonical" href=', '<meta property="article:published_time" content="'])), max_size=20))
def test_extraction_answers_every_page(parts):
    result = Extractor().extract("".join(parts).encode("utf-8", "replace").decode(), BASE + "1.html")
    assert isinstance(result, (Document, Skip))
