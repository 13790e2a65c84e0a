"""`newswatch export`: one record per article, JSON Lines or CSV, to stdout or a file."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from conftest import crawl, run_cli, write_config
from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import article_page, build_site

FIELDS = {"url", "canonical_url", "source", "title", "text", "author", "published", "language", "fetched"}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    synthetic = build_site(3)
    with SiteServer(root=None) as site:
        for path, body in synthetic.pages.items():
            site.put(path, body)
        first = synthetic.articles[0]
        # The same article syndicated under a second URL: stored once, as a copy.
        site.put("/mirror/copy.html", article_page(first, canonical="{{BASE}}/mirror/copy.html"))
        site.put(
            "/news/feed.rss",
            synthetic.pages["/news/feed.rss"].replace(
                "</channel>", "<item><link>{{BASE}}/mirror/copy.html</link></item></channel>"
            ),
        )
        path = write_config(tmp, f'[[sources]]\nname = "times"\nfeeds = ["{site.url("/news/feed.rss")}"]\n')
        crawl(path)
    return path


def test_jsonl_has_one_record_per_article_with_iso_dates(config):
    result = run_cli("export", "--config", str(config))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert FIELDS <= set(record)
        assert {"categories", "rules", "story_id", "duplicate_of"} <= set(record)
        assert datetime.fromisoformat(record["published"]).utcoffset() is not None
        assert datetime.fromisoformat(record["fetched"]).utcoffset() is not None
        assert record["duplicate_of"] is None


def test_include_duplicates_adds_the_copy_with_duplicate_of(config):
    records = [json.loads(l) for l in run_cli("export", "--config", str(config), "--include-duplicates").stdout.splitlines()]
    copies = [r for r in records if r["duplicate_of"] is not None]
    assert len(records) == 4 and len(copies) == 1
    # Whichever of the two URLs was stored first is the original: pages are extracted concurrently.
    pair = {"/mirror/copy.html", "/news/1.html"}
    originals = {"/" + r["url"].split("/", 3)[3] for r in records if r["duplicate_of"] is None}
    copy = "/" + copies[0]["url"].split("/", 3)[3]
    assert copy in pair and pair - {copy} <= originals


def test_csv_to_a_file(config, tmp_path):
    out = tmp_path / "articles.csv"
    result = run_cli("export", "--config", str(config), "--format", "csv", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 3 and FIELDS <= set(rows[0])


def test_since_filters_by_published_date(config):
    records = [json.loads(l) for l in run_cli("export", "--config", str(config), "--since", "2026-01-01T01:30:00+00:00").stdout.splitlines()]
    assert len(records) == 1  # the synthetic articles are published an hour apart from 2026-01-01T00:00Z


def test_bad_since_is_a_usage_error(config):
    result = run_cli("export", "--config", str(config), "--since", "yesterday")
    assert result.returncode == 2 and "--since" in result.stderr
