"""`newswatch rules test` on files and URLs, and `newswatch rescan` on a real database, as subprocesses."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import query, run_cli, write_config

from newswatch.models import Article, Match, utcnow
from newswatch.storage import Storage

LABELED = Path(__file__).parent / "data" / "rules_labeled.toml"
ARTICLES = {a["id"]: a for a in tomllib.loads(LABELED.read_text("utf-8"))["article"]}
WORKERS = ARTICLES["en-labor-1"]
TROOPS_KO = ARTICLES["ko-troops-1"]
MISSILE = ARTICLES["en-neg-missile-test"]


def text_file(path: Path, article: dict) -> Path:
    path.write_text(f"{article['title']}\n\n{article['text']}", encoding="utf-8")
    return path


def html_page(article: dict) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in article["text"].strip().split("\n"))
    filler = "<p>" + "The report was compiled from public statements and interviews with officials. " * 6 + "</p>"
    return (
        f"<!doctype html><html><head><title>{article['title']}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{article['title']}</h1>{paragraphs}{filler}</article></body></html>"
    )


def test_rules_test_json_prints_one_line_per_input_in_order(tmp_path):
    config = write_config(tmp_path, "")
    workers = text_file(tmp_path / "workers.txt", WORKERS)
    troops = text_file(tmp_path / "troops.txt", TROOPS_KO)
    missile = text_file(tmp_path / "missile.txt", MISSILE)
    result = run_cli(
        "rules", "test", "--config", str(config), "--json", str(missile), str(workers), "nowhere.txt", str(troops)
    )
    assert result.returncode == 1  # one input could not be read; the others are still reported
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(missile), str(workers), "nowhere.txt", str(troops)]
    assert [line["matched"] for line in lines] == [False, True, False, True]
    assert [line["categories"] for line in lines] == [[], ["labor"], [], ["troops"]]
    (rule,) = lines[1]["rules"]
    assert rule["name"] == "labor-en" and rule["category"] == "labor" and rule["score"] >= 5
    assert rule["terms"][:3] == ["North Korea", "workers", "Russia"]
    assert "no such file" in lines[2]["error"].lower()
    assert lines[3]["rules"][0]["name"] == "troops-ko" and "북한군" in lines[3]["rules"][0]["terms"]


def test_rules_test_explains_each_rule_with_terms_positions_and_snippet(tmp_path):
    config = write_config(tmp_path, "")
    result = run_cli("rules", "test", "--config", str(config), str(text_file(tmp_path / "a.txt", WORKERS)))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MATCHED labor" in out
    assert "[FIRE] labor-en (labor): fired with score" in out
    assert "'North Korea' [dprk] at title 0-11" in out
    assert "snippet: " in out
    assert "[ -- ] troops-en (troops): no term of group 'troops'" in out
    assert "other rules found none of their terms" in out


def test_rules_test_fetches_urls_and_extracts_html(tmp_path, site):
    pytest.importorskip("extractors.article")
    site.put("/news/workers.html", html_page(WORKERS))
    site.put("/plain.txt", f"{MISSILE['title']}\n{MISSILE['text']}", content_type="text/plain; charset=utf-8")
    (tmp_path / "saved.html").write_text(html_page(WORKERS), encoding="utf-8")
    config = write_config(tmp_path, "")
    urls = [site.url("/news/workers.html"), site.url("/plain.txt"), site.url("/gone"), str(tmp_path / "saved.html")]
    result = run_cli("rules", "test", "--config", str(config), "--json", *urls)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == urls
    assert [line["categories"] for line in lines] == [["labor"], [], [], ["labor"]]
    assert "HTTP 404" in lines[2]["error"]
    assert result.returncode == 1


def store_article(storage: Storage, n: int, article: dict, duplicate_of: int | None = None) -> int:
    record = Article(
        url=f"http://127.0.0.1/{n}",
        canonical_url=f"http://127.0.0.1/{n}",
        source="test",
        title=article["title"],
        text=article["text"],
        fetched=utcnow(),
    )
    return storage.insert_article(record, content_hash=f"hash{n}", duplicate_of=duplicate_of)


def test_rescan_reapplies_the_rules_to_stored_articles_without_fetching(tmp_path):
    config = write_config(tmp_path, "")
    storage = Storage(tmp_path / "data" / "newswatch.db")
    with storage.transaction():
        workers = store_article(storage, 1, WORKERS)
        missile = store_article(storage, 2, MISSILE)
        copy = store_article(storage, 3, WORKERS, duplicate_of=workers)
        storage.save_matches(missile, [Match("old-rule", "munitions", 9.0, ("missile",), "stale")])
    storage.close()

    result = run_cli("rescan", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "Rescanned 2 articles with 21 rules: 1 match (before: 1), 2 changed. No alerts were raised." in result.stdout
    rows = query(config, "select article_id, rule, category, terms, snippet from matches order by article_id")
    assert [(r["article_id"], r["rule"], r["category"]) for r in rows] == [(workers, "labor-en", "labor")]
    assert "North Korea" in json.loads(rows[0]["terms"]) and rows[0]["snippet"]
    assert copy not in {r["article_id"] for r in rows}


def test_rescan_without_a_database_says_so(tmp_path):
    result = run_cli("rescan", "--config", str(write_config(tmp_path, "")))
    assert result.returncode == 1
    assert "no database yet" in result.stderr
    assert not (tmp_path / "data" / "newswatch.db").exists()
