"""Hostile XML in feeds and sitemaps is inert: no external entity is read, no entity bomb expands,
no external DTD is fetched.

Every test is a real `newswatch crawl` subprocess against the loopback site, with one normal source in
the same crawl whose articles must still be stored. Each hostile document comes in two layouts:

- "multiline": the usual pretty-printed DOCTYPE, one declaration a line;
- "oneline": the XML declaration, DOCTYPE and declarations on a single line, which feedparser's
  DOCTYPE scrubber (line-anchored regexes) does not touch, so the XML parser itself sees them.

An entity that were expanded would show up in the database (scanned whole: every value of every table),
and, since the entities are used inside article links, in the paths the loopback site was asked for.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest

from conftest import run_cli, write_config
from newswatch.demo.hostile import LAUGHS, doctype, laugh_links, rss, secret_file, urlset, xxe_declarations, xxe_links
from newswatch.demo.synthetic import article_page, make_article
from test_crawl_failures import good_source, last_run

PASSWD_MARKER = "root:x:0:0"
LOL = "lol" * 1000
LOL_IN_A_LINK = "lol" * 100  # &lol2;: short enough for a URL that would be fetched and stored
CRAWL_TIMEOUT = 60  # seconds: an expanding bomb would blow through this (or through memory)


# -- helpers ------------------------------------------------------------------


def run_crawl(config):
    """The crawl as a subprocess with a hard timeout."""
    result = run_cli("crawl", "--config", str(config), "--quiet", timeout=CRAWL_TIMEOUT)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def db_values(config):
    """(table, column, text) for every non-null value of every table of the crawl's database."""
    conn = sqlite3.connect(config.parent / "data" / "newswatch.db")
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        assert "articles" in tables and "urls" in tables, tables
        for table in tables:
            cursor = conn.execute(f'select * from "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row):
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    yield table, column, str(value)
    finally:
        conn.close()


def assert_not_in_db(config, *needles):
    """None of `needles` (nor its percent-encoded form, as it would be in a stored URL) is in the database."""
    leaks = []
    for table, column, value in db_values(config):
        decoded = unquote(value)
        for needle in needles:
            if needle in value or needle in decoded:
                leaks.append(f"{table}.{column}: {needle!r} in {decoded[:300]!r}")
    assert not leaks, "hostile XML content reached the database:\n" + "\n".join(leaks[:20])


def assert_not_requested(site, *needles):
    """No path the loopback site was asked for contains one of `needles` (an expanded link was followed)."""
    asked = [unquote(path) for path in site.hits]
    leaks = [path for path in asked for needle in needles if needle in path]
    assert not leaks, f"an expanded entity was followed as a link: {leaks[:5]}"


def assert_not_in_output(result, *needles):
    for needle in needles:
        assert needle not in result.stdout and needle not in result.stderr, f"{needle!r} in the crawl's output"


def put_articles(site, prefix, names, seed):
    """Real article pages at `prefix`/NAME.html; returns their URLs."""
    rng = random.Random(seed)
    urls = []
    for name in names:
        article = make_article(rng, f"{prefix}/{name}.html", datetime(2026, 1, 1, tzinfo=timezone.utc))
        site.put(article.path, article_page(article))
        urls.append(site.url(article.path))
    return urls


def stored_urls(config, source):
    conn = sqlite3.connect(config.parent / "data" / "newswatch.db")
    try:
        return {r[0] for r in conn.execute("select url from articles where source = ?", (source,))}
    finally:
        conn.close()


def assert_normal_source_stored(config, site):
    """The normal source of the same crawl ("good", from test_crawl_failures.good_source) got its 2 articles."""
    assert stored_urls(config, "good") == {site.url("/good/1.html"), site.url("/good/2.html")}
    assert last_run(config, "good")["ok"] == 1


def assert_valid_entries_followed(config, source, urls, malformed):
    """The hostile documents' valid entries are fetched and stored, unless a document was refused as a
    whole (then the run says so, and nothing from it is stored)."""
    run = last_run(config, source)
    refused = run["errors"].get(malformed, 0)
    if refused == 0:
        assert set(urls) <= stored_urls(config, source), (run, stored_urls(config, source))
    else:
        assert set(run["errors"]) <= {malformed, "http-404"}, run


def assert_inert(config, site, result, source, valid, malformed, *needles):
    """The normal source was stored, no needle leaked anywhere, the valid entries were followed."""
    assert_normal_source_stored(config, site)
    assert_not_in_db(config, *needles)
    assert_not_requested(site, *needles)
    assert_not_in_output(result, *needles)
    assert_valid_entries_followed(config, source, valid, malformed)


# -- 1 and 2. XXE and billion laughs, in a feed and in a sitemap ------------------------------

KINDS = {"feed": ("rss", "feed.rss", "feeds", "malformed-feed"), "sitemap": ("urlset", "sitemap.xml", "sitemaps", "malformed-sitemap")}


def crawl_hostile(tmp_path, site, kind, name, declarations, hostile_links, filler):
    """A source `name` of two `kind` documents (both layouts) declaring `declarations`; each lists two
    real articles first (libxml2's recovery stops reading at a bomb), then `hostile_links(prefix)`, with
    `filler` as every feed item's title and description. Returns the crawl's result and the real URLs."""
    root, filename, key, _ = KINDS[kind]
    urls, valid = [], []
    for layout in ("multiline", "oneline"):
        prefix = f"/{name}-{layout}"
        ok = put_articles(site, prefix, ["ok-1", "ok-2"], seed=len(prefix))
        valid += ok
        head = doctype(root, declarations, layout)
        links = [*ok, *hostile_links(prefix)]
        document = rss(head, [(filler, filler, link) for link in links]) if kind == "feed" else urlset(head, links)
        site.put(f"{prefix}/{filename}", document)
        urls.append(site.url(f"{prefix}/{filename}"))
    config = write_config(tmp_path, good_source(site) + f'[[sources]]\nname = "{name}"\n{key} = {urls!r}\n'.replace("'", '"'))
    result = run_crawl(config)
    assert [site.hits[f"/{name}-{layout}/{filename}"] for layout in ("multiline", "oneline")] == [1, 1]
    assert last_run(config, name)["ok"] is not None, "the hostile source's run ended"
    return config, result, valid


@pytest.mark.parametrize("kind", KINDS)
def test_external_entities_are_never_read(tmp_path, site, kind):
    marker, secret = secret_file(tmp_path)
    config, result, valid = crawl_hostile(tmp_path, site, kind, "xxe", xxe_declarations(secret), xxe_links, "&secret; &passwd;")
    assert_inert(config, site, result, "xxe", valid, KINDS[kind][3], marker, PASSWD_MARKER)


@pytest.mark.parametrize("kind", KINDS)
def test_billion_laughs_does_not_expand(tmp_path, site, kind):
    config, result, valid = crawl_hostile(tmp_path, site, kind, "lol", LAUGHS, laugh_links, "&lol9;")
    assert_inert(config, site, result, "lol", valid, KINDS[kind][3], LOL, LOL_IN_A_LINK)


# -- 4. External DTDs and external entities over HTTP are never fetched ---------------------------


def test_external_dtds_and_entities_are_never_fetched(tmp_path, site):
    """A DOCTYPE's external subset, an external parameter entity and an external general entity, all on
    the loopback site itself: if any parser fetched one, the site would count the request."""
    site.put("/evil.dtd", '<!ENTITY dtdent "FROM-EVIL-DTD">', "application/xml-dtd")
    site.put("/evil-pe.dtd", '<!ENTITY peent "FROM-EVIL-PE">', "application/xml-dtd")
    site.put("/evil-entity.txt", "FROM-EVIL-ENTITY", "text/plain")
    declarations = [
        '<!ENTITY % remote SYSTEM "{{BASE}}/evil-pe.dtd">',
        "%remote;",
        '<!ENTITY remoteent SYSTEM "{{BASE}}/evil-entity.txt">',
    ]
    feeds, sitemaps, valid_feed, valid_sitemap = [], [], [], []
    for layout in ("multiline", "oneline"):
        prefix = f"/dtd-{layout}"
        ok = put_articles(site, prefix, ["feed-ok", "sitemap-ok"], seed=40 + len(layout))
        valid_feed.append(ok[0])
        valid_sitemap.append(ok[1])
        feed_head = doctype("rss", declarations, layout, system_id="{{BASE}}/evil.dtd")
        items = [
            ("&remoteent;", "&dtdent; &peent;", f"{{{{BASE}}}}{prefix}/&remoteent;.html"),
            ("Fine", "Fine", ok[0]),
        ]
        site.put(f"{prefix}/feed.rss", rss(feed_head, items))
        feeds.append(site.url(f"{prefix}/feed.rss"))
        map_head = doctype("urlset", declarations, layout, system_id="{{BASE}}/evil.dtd")
        site.put(f"{prefix}/sitemap.xml", urlset(map_head, [f"{{{{BASE}}}}{prefix}/&remoteent;.html", ok[1]]))
        sitemaps.append(site.url(f"{prefix}/sitemap.xml"))
    # A DOCTYPE with only the external subset, no internal one, as in the classic form.
    plain_feed = site.url("/dtd-plain/feed.rss")
    ok = put_articles(site, "/dtd-plain", ["ok"], seed=50)
    valid_feed.append(ok[0])
    site.put(
        "/dtd-plain/feed.rss",
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{site.url("/evil.dtd")}">'
        f'<rss version="2.0"><channel><title>t</title><item><title>&dtdent;</title><link>{ok[0]}</link></item>'
        "</channel></rss>",
    )
    feeds.append(plain_feed)
    config = write_config(
        tmp_path,
        good_source(site)
        + f'[[sources]]\nname = "dtdfeed"\nfeeds = {feeds!r}\n'.replace("'", '"')
        + f'[[sources]]\nname = "dtdmap"\nsitemaps = {sitemaps!r}\n'.replace("'", '"'),
    )
    result = run_crawl(config)

    for listing in ("/dtd-multiline/feed.rss", "/dtd-oneline/feed.rss", "/dtd-plain/feed.rss",
                    "/dtd-multiline/sitemap.xml", "/dtd-oneline/sitemap.xml"):
        assert site.hits[listing] == 1, (listing, dict(site.hits))
    assert site.hits["/evil.dtd"] == 0, dict(site.hits)
    assert site.hit_count("/evil") == 0, dict(site.hits)
    assert_normal_source_stored(config, site)
    assert_not_in_db(config, "FROM-EVIL")
    assert_not_requested(site, "FROM-EVIL")
    assert_not_in_output(result, "FROM-EVIL")
    assert_valid_entries_followed(config, "dtdfeed", valid_feed, "malformed-feed")
    assert_valid_entries_followed(config, "dtdmap", valid_sitemap, "malformed-sitemap")
