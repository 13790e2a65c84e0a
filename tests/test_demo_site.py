"""Crawl the bundled demo site once and check every fixture page against its manifest entry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from conftest import crawl, query, run_cli, write_config
from newswatch.demo.run import demo_sources
from newswatch.demo.server import SITE, SiteServer

MANIFEST = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
ARTICLES = [p for p in MANIFEST if p["kind"] == "article"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The demo site served and crawled once; yields (server, config path)."""
    tmp = tmp_path_factory.mktemp("demo")
    with SiteServer() as server:
        config = write_config(tmp, demo_sources(server.base_url))
        result = crawl(config)
        assert result.returncode == 0, result.stderr
        yield server, config


def stored(config: Path, server: SiteServer, path: str) -> dict | None:
    rows = query(config, "select * from articles where url = ?", (server.url(path),))
    return rows[0] if rows else None


@pytest.mark.parametrize("page", ARTICLES, ids=[p["path"].rsplit("/", 1)[-1] for p in ARTICLES])
def test_every_article_is_stored_clean(crawled, page):
    server, config = crawled
    row = stored(config, server, page["path"])
    assert row is not None, f"{page['path']} was not stored"
    for sentence in page["body_sentences"]:
        assert sentence in row["text"]
    for marker in page["boilerplate"]:
        assert marker not in row["text"], f"boilerplate {marker!r} leaked"
    assert row["title"] == page["title"]
    assert row["language"] == page["language"]
    if page.get("author"):
        assert row["author"] == page["author"]
    assert datetime.fromisoformat(row["published"]) == datetime.fromisoformat(page["published"])


@pytest.mark.parametrize("page", ARTICLES, ids=[p["path"].rsplit("/", 1)[-1] for p in ARTICLES])
def test_rules_flag_the_right_categories(crawled, page):
    server, config = crawled
    row = stored(config, server, page["path"])
    categories = {r["category"] for r in query(config, "select category from matches where article_id = ?", (row["id"],))}
    assert categories == set(page["categories"])


def test_non_articles_are_skipped_and_private_pages_never_fetched(crawled):
    server, config = crawled
    for page in MANIFEST:
        if page["kind"] == "private":
            assert server.hits[page["path"]] == 0
        elif page["kind"] in ("video", "other", "listing") and page["path"] != "/":
            assert stored(config, server, page["path"]) is None, page["path"]
    skipped = {}
    for row in query(config, "select skipped from source_runs"):
        for reason, n in json.loads(row["skipped"]).items():
            skipped[reason] = skipped.get(reason, 0) + n
    assert skipped["robots.txt"] == 3
    assert skipped["video"] == 1


def test_amp_and_tracking_variants_are_one_article(crawled):
    server, config = crawled
    originals = query(
        config, "select url from articles where source = 'asiatimes' and title like '%100,000%' and duplicate_of is null"
    )
    assert len(originals) == 1
    assert query(config, "select count(*) n from articles where url like '%utm_%'")[0]["n"] == 0
    amp = next(p["path"] for p in MANIFEST if p["kind"] == "amp")
    assert server.hits[amp] == 0, "an AMP link is fetched as its regular edition"


def test_export_names_the_other_outlets_of_a_story(crawled):
    server, config = crawled
    result = run_cli("export", "--config", str(config))
    records = {json.loads(line)["url"]: json.loads(line) for line in result.stdout.splitlines()}
    retelling = next(p for p in ARTICLES if p["outlet"] == "northwire" and p["story"] == "feb2023-workers")
    assert records[server.url(retelling["path"])]["also_reported_by"] == ["asiatimes", "eurodaily", "globalpost"]


def test_second_crawl_fetches_no_article_page(crawled):
    server, config = crawled
    server.reset_hits()
    crawl(config)
    fetched = [path for path in server.hits if path.endswith(".html")]
    assert fetched == []


def test_demo_command_shows_alerts_end_to_end(tmp_path):
    result = run_cli("demo", "--keep", str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "article pages fetched: first crawl" in out and "second crawl 0" in out
    assert "email    [newswatch] labor" in out
    assert "webhook  article.matched" in out and "BAD SIGNATURE" not in out
    assert "5 article(s) from northwire, globalpost, eurodaily, asiatimes" in out


def test_status_shows_who_else_reported_a_story(crawled):
    server, config = crawled
    result = run_cli("status", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    stories = json.loads(result.stdout)["stories"]
    assert [sorted(s["outlets"]) for s in stories] == [["asiatimes", "eurodaily", "globalpost", "northwire"]]
    table = run_cli("status", "--config", str(config)).stdout
    assert "stories carried by several outlets" in table and "northwire, globalpost, eurodaily, asiatimes" in table
