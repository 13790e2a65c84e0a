"""URL identity: tracking parameters, fragments, AMP and mobile editions, and believable canonical URLs."""

from __future__ import annotations

import pytest

from newswatch.urls import article_url, canonicalize, desktop_url, identity_variants

ARTICLE = "https://www.example.com/world/2023/02/korea-workers.html"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/world/2023/02/korea-workers.html?utm_source=twitter&utm_medium=social",
        "https://WWW.Example.com:443/world/2023/02/korea-workers.html?fbclid=IwAR0abc#comments",
        "https://www.example.com/world/2023/02/korea-workers.html?gclid=Cj0KCQ&mc_cid=42",
    ],
)
def test_tracking_parameters_fragment_case_and_port_are_dropped(url):
    assert canonicalize(url) == ARTICLE


def test_meaningful_query_parameters_are_kept_in_a_stable_order():
    url = "https://example.com/story?page=2&id=7&utm_campaign=x"
    assert canonicalize(url) == "https://example.com/story?id=7&page=2"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/amp/world/2023/02/korea-workers.html",
        "https://www.example.com/world/2023/02/korea-workers.html/amp",
        "https://www.example.com/world/2023/02/korea-workers.amp.html",
        "https://www.example.com/world/2023/02/korea-workers.html?amp=1&utm_source=x",
        "https://www.example.com/world/2023/02/korea-workers.html?outputType=amp",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/world/2023/02/korea-workers.html?usqp=mq331AQ",
        "https://www.google.com/amp/s/www.example.com/world/2023/02/korea-workers.amp.html",
    ],
)
def test_amp_editions_map_to_the_regular_page(url):
    assert desktop_url(url) == ARTICLE
    assert ARTICLE in identity_variants(url)


def test_wordpress_amp_endpoint_keeps_the_trailing_slash():
    page = "https://blog.example.org/2023/02/korea-workers/"
    assert desktop_url(page + "amp/") == page


def test_mobile_host_maps_to_the_site_with_and_without_www():
    variants = identity_variants("https://m.example.com/world/2023/02/korea-workers.html?amp")
    assert variants[:2] == ("https://example.com/world/2023/02/korea-workers.html", ARTICLE)


def test_the_url_itself_is_among_its_variants():
    url = "https://m.example.com/a/amp"
    assert identity_variants(url)[-1] == canonicalize(url)


def test_local_hosts_get_no_www_variant():
    assert identity_variants("http://127.0.0.1:8080/amp/a.html") == (
        "http://127.0.0.1:8080/a.html",
        "http://127.0.0.1:8080/amp/a.html",
    )


@pytest.mark.parametrize(
    ("url", "desktop"),
    [("http://[::1]/amp/a.html", "http://[::1]/a.html"), ("https://[2001:db8::7]:8443/a?x=1", "https://[2001:db8::7]:8443/a?x=1")],
)
def test_ipv6_hosts_keep_their_brackets(url, desktop):
    assert desktop_url(url) == desktop
    assert identity_variants(url)[0] == desktop


def test_words_that_merely_contain_amp_are_left_alone():
    for url in ("https://example.com/news/stamp-duty", "https://example.com/camp/amp-guitar.html", "https://m.co/x"):
        assert desktop_url(url) == url


def test_article_url_prefers_a_declared_canonical_on_the_same_site():
    assert article_url("https://m.example.com/p/123?amp=1", ARTICLE) == ARTICLE


def test_article_url_ignores_a_canonical_on_another_site():
    # A syndicated copy stays its own outlet's article; its text makes it a duplicate instead.
    assert article_url("https://partner.org/news/korea.html", ARTICLE) == "https://partner.org/news/korea.html"


def test_article_url_ignores_a_canonical_pointing_at_the_home_page():
    assert article_url(ARTICLE + "?utm_source=rss", "https://www.example.com/") == ARTICLE


def test_article_url_without_declared_canonical_is_the_desktop_url():
    assert article_url("https://www.example.com/amp/world/2023/02/korea-workers.html", None) == ARTICLE
