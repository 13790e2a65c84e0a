"""Many sources: an OPML export or TOML file as `sources_file`, `sources import|list`, and `status` over many sources."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import REPO, run_cli, write_config
from newswatch.config import load_config
from newswatch.daemon import state
from newswatch.errors import ConfigError
from newswatch.models import utcnow
from newswatch.storage import Storage
from test_status import record

EXPORT = REPO / "tests" / "fixtures" / "opml" / "reader-export.opml"
NK_NEWS = "https://www.nknews.org/feed/"
INLINE = '[[sources]]\nname = "nk-news"\nfeeds = ["http://127.0.0.1:9/nk.rss"]\n'


def opml_config(tmp_path: Path, body: str = "") -> Path:
    """config.toml reading a copy of the nested export as feeds.opml, then `body`."""
    shutil.copy(EXPORT, tmp_path / "feeds.opml")
    return write_config(tmp_path, body, defaults='sources_file = "feeds.opml"\n[storage]\ndatabase = "data/nw.db"\n')


def test_a_nested_opml_export_is_read_as_sources(tmp_path):
    config = load_config(opml_config(tmp_path))
    by_name = {s.name: s for s in config.sources}
    assert list(by_name) == [
        "nk-news", "daily-nk", "yna.co.kr-rss-northkorea.xml", "38-north", "kyiv-independent",
        "pravda.com.ua-eng-rss", "cafe-babel-europe", "the-moscow-times", "world", "world-2", "rfa-korea",
        "feeds.example.net-untitled-rss",
    ]  # non-Latin titles and the untitled feed are named from their URL; repeated titles numbered
    # Listed in Korea (with categories) and again in Watchlist: one source, tags of both.
    assert by_name["nk-news"].feeds == (NK_NEWS,)
    assert by_name["nk-news"].tags == ("Korea", "DPRK", "watchlist", "Watchlist")
    assert by_name["38-north"].tags == ("Korea/Analysis",)  # nested folders as one path
    assert by_name["the-moscow-times"].tags == ("Ukraine & Russia", "russia")
    assert by_name["rfa-korea"].tags == ()  # at the top, in no folder
    assert by_name["feeds.example.net-untitled-rss"].feeds == ("https://feeds.example.net/untitled/rss",)
    all_feeds = [f for s in config.sources for f in s.feeds]
    assert len(all_feeds) == len(set(all_feeds)) == 12
    assert not any("www.example.org" in f for f in all_feeds)  # the type="link" bookmark is no feed
    assert {s.origin for s in config.sources} == {tmp_path / "feeds.opml"}
    assert config.sources_file == tmp_path / "feeds.opml"


def test_repeated_titles_are_numbered_past_names_already_taken(tmp_path):
    titles = ["World", "World 2", "World", "World"]
    outlines = "".join(f'<outline text="{t}" xmlUrl="http://127.0.0.1:9/{i}.rss"/>' for i, t in enumerate(titles))
    (tmp_path / "f.opml").write_text(f'<opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
    path = write_config(tmp_path, "", defaults='sources_file = "f.opml"\n')
    assert [s.name for s in load_config(path).sources] == ["world", "world-2", "world-3", "world-4"]


def test_source_defaults_apply_unless_a_source_sets_its_own(tmp_path):
    (tmp_path / "sources.toml").write_text(
        '[[sources]]\nname = "plain"\nfeeds = ["http://127.0.0.1:9/a"]\n'
        '[[sources]]\nname = "fast"\nfeeds = ["http://127.0.0.1:9/b"]\nevery = "5m"\nenabled = true\n'
        '[[sources]]\nname = "hourly"\nfeeds = ["http://127.0.0.1:9/c"]\ncron = "0 * * * *"\n',
        encoding="utf-8",
    )
    path = write_config(tmp_path, '[source_defaults]\ncron = "30 6 * * *"\nenabled = false\n',
                        defaults='sources_file = "sources.toml"\n')
    by_name = {s.name: s for s in load_config(path).sources}
    assert (by_name["plain"].cron, by_name["plain"].enabled) == ("30 6 * * *", False)
    assert (by_name["fast"].cron, by_name["fast"].every, by_name["fast"].enabled) == (None, 300, True)
    assert (by_name["hourly"].cron, by_name["hourly"].enabled) == ("0 * * * *", False)
    every = write_config(tmp_path, '[source_defaults]\nevery = "2h"\n', defaults='sources_file = "sources.toml"\n')
    assert {s.name: s.every for s in load_config(every).sources} == {"plain": 7200, "fast": 300, "hourly": 7200}


def test_a_name_in_config_and_in_the_sources_file_names_both_places(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(opml_config(tmp_path, INLINE))
    message = str(error.value)
    assert "feeds.opml, line 11: source name 'nk-news' is used twice" in message
    assert "config.toml: sources[1]" in message


MALFORMED = {
    "truncated": ('<?xml version="1.0"?>\n<opml version="2.0">\n<body>\n<outline text="A" xmlUrl="http://a/f"/>\n', 5),
    "unclosed": ('<opml version="2.0"><body>\n<outline text="A">\n<outline xmlUrl="http://a/f">\n</body></opml>\n', 4),
    "ftp-feed": ('<opml version="2.0"><body>\n\n<outline text="F" xmlUrl="ftp://ftp.example.org/f"/>\n</body></opml>', 3),
    "rss-root": ('<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>\n', 2),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_bad_opml_file_is_one_line_naming_file_and_line(tmp_path, kind):
    text, line = MALFORMED[kind]
    (tmp_path / "bad.opml").write_text(text, encoding="utf-8")
    path = write_config(tmp_path, "", defaults='sources_file = "bad.opml"\n')
    result = run_cli("sources", "list", "--config", str(path), timeout=60)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"bad.opml, line {line}" in lines[0]


def test_import_writes_a_sources_file_that_loads_back_the_same(tmp_path):
    (tmp_path / "opml").mkdir()
    expected = load_config(opml_config(tmp_path / "opml")).sources
    config = write_config(tmp_path, INLINE)
    result = run_cli("sources", "import", str(EXPORT), "--config", str(config), timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("12 sources written to ") and "sources.toml" in out.splitlines()[0]
    assert "1 duplicate feed URL merged" in out and f"line 29 = line 11: {NK_NEWS}" in out
    assert "nk-news -> nk-news-2" in out  # config.toml declares nk-news: the imported one is numbered
    assert 'add this line at the top of' in out and 'sources_file = "sources.toml"' in out
    written = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    assert "# NK News — https://www.nknews.org/\n[[sources]]\nname = \"nk-news-2\"\n" in written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sources.toml")] == []  # no temporary left
    assert config.read_text(encoding="utf-8").count("sources_file") == 0  # config.toml is never rewritten

    config.write_text('sources_file = "sources.toml"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = load_config(config).sources
    assert loaded[0].name == "nk-news" and loaded[0].origin == config
    renamed = [replace(s, name="nk-news-2") if s.name == "nk-news" else s for s in expected]
    assert loaded[1:] == tuple(renamed)
    assert {s.origin for s in loaded[1:]} == {tmp_path / "sources.toml"}

    again = run_cli("sources", "import", str(EXPORT), "--config", str(config), timeout=60)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"newswatch: error: {tmp_path / 'sources.toml'}: already exists; pass --force to overwrite it"
    ]
    assert (tmp_path / "sources.toml").read_text(encoding="utf-8") == written
    forced = run_cli("sources", "import", str(EXPORT), "--config", str(config), "--force", timeout=60)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip().endswith("already reads it")


def test_import_of_a_toml_file_keeps_every_key(tmp_path):
    original = tmp_path / "mine.toml"
    original.write_text(
        '[[sources]]\nname = "site"\nsitemaps = ["http://127.0.0.1:9/s.xml"]\npages = ["http://127.0.0.1:9/news"]\n'
        'follow = "/news/\\\\d+\\\\.html$"\ncron = "*/15 6-22 * * *"\nenabled = false\n'
        'tags = ["Здесь \\"quoted\\"", "a\\\\b"]\n',
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir()
    config = write_config(tmp_path, "")
    result = run_cli("sources", "import", str(original), "--to", str(tmp_path / "out" / "s.toml"),
                     "--config", str(config), timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'sources_file = "out/s.toml"' in result.stdout
    expected = load_config(write_config(tmp_path, "", defaults='sources_file = "mine.toml"\n')).sources
    imported = load_config(write_config(tmp_path, "", defaults='sources_file = "out/s.toml"\n')).sources
    assert imported == expected and imported[0].tags == ('Здесь "quoted"', "a\\b")
    assert imported[0].follow.pattern == r"/news/\d+\.html$"


def test_sources_list_shows_where_each_source_is_declared(tmp_path):
    path = opml_config(tmp_path, INLINE.replace("nk-news", "inline") + 'every = "90m"\n')
    result = run_cli("sources", "list", "--config", str(path), "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert len(records) == 13
    assert records[0] == {
        "name": "inline", "feeds": ["http://127.0.0.1:9/nk.rss"], "sitemaps": [], "pages": [], "every": "90m",
        "cron": None, "enabled": True, "tags": [], "declared_in": "config.toml",
    }
    assert records[1]["name"] == "nk-news" and records[1]["declared_in"] == "feeds.opml"
    korea = run_cli("sources", "list", "--config", str(path), "--json", "--tag", "Korea", timeout=60)
    assert [r["name"] for r in json.loads(korea.stdout)] == [
        "nk-news", "daily-nk", "yna.co.kr-rss-northkorea.xml", "38-north"  # Korea/Analysis is under Korea
    ]
    table = run_cli("sources", "list", "--config", str(path), "--tag", "Outlets", timeout=60)
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines() if line.strip()}
    assert "every 30m" in rows["world-2"] and "feeds.opml" in rows["world-2"]
    assert table.stdout.strip().endswith("2 of 13 sources")


# 25 sources, more than the table shows: states ok 20, failing 2, running 1, never run 1, disabled 1.
MANY = "".join(f'[[sources]]\nname = "s{i:02d}"\nfeeds = ["http://127.0.0.1:9/{i}.rss"]\n' for i in range(21)) + """
[[sources]]
name = "broken"
feeds = ["http://127.0.0.1:9/broken.rss"]
[[sources]]
name = "flaky"
feeds = ["http://127.0.0.1:9/flaky.rss"]
[[sources]]
name = "fresh"
feeds = ["http://127.0.0.1:9/fresh.rss"]
[[sources]]
name = "paused"
feeds = ["http://127.0.0.1:9/paused.rss"]
enabled = false
"""


@pytest.fixture
def many(tmp_path):
    path = write_config(tmp_path, MANY)
    storage = Storage(load_config(path).storage.database)
    for i in range(21):
        record(storage, f"s{i:02d}", True)
    record(storage, "flaky", True)
    record(storage, "flaky", False, "http://127.0.0.1:9/flaky.rss: timeout")
    for _ in range(3):
        record(storage, "broken", False, "http://127.0.0.1:9/broken.rss: HTTP 503")
    with storage.transaction() as db:
        state.ensure_schema(db)
        state.mark_started(db)
        for i in range(21):
            state.set_schedule(db, f"s{i:02d}", utcnow() + timedelta(minutes=30 - i))
        state.set_schedule(db, "s20", None, running_since=utcnow() - timedelta(seconds=5))
        state.set_schedule(db, "fresh", utcnow() + timedelta(minutes=2))
    storage.close()
    return path


def test_status_of_many_sources_is_a_summary(many):
    result = run_cli("status", "--config", str(many), timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "25 sources: 20 ok, 2 failing, 1 running, 1 never run, 1 disabled" in out
    failing = out[out.index("failing, worst first"):out.index("next due:")]
    assert failing.index("broken") < failing.index("flaky") and "HTTP 503" in failing
    due = out[out.index("next due:"):].splitlines()[1:6]
    assert [line.split(":")[0].strip() for line in due] == ["fresh", "s19", "s18", "s17", "s16"]
    assert "newswatch status --all" in out and "s00" not in out  # no per-source table
    full = run_cli("status", "--config", str(many), "--all", timeout=60)
    assert "last success" in full.stdout and "s00" in full.stdout


def test_status_json_has_sources_and_summary(many):
    result = run_cli("status", "--config", str(many), "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"database", "daemon", "sources", "alerts", "stories", "summary"} <= set(report)
    assert len(report["sources"]) == 25
    by_name = {s["name"]: s for s in report["sources"]}
    assert by_name["broken"]["consecutive_failures"] == 3 and by_name["broken"]["state"] == "failing"
    summary = report["summary"]
    assert summary["counts"] == {"ok": 20, "failing": 2, "running": 1, "never_run": 1, "disabled": 1}
    assert [(f["name"], f["consecutive_failures"]) for f in summary["failing"]] == [("broken", 3), ("flaky", 1)]
    assert summary["failing"][1]["message"].endswith("timeout")
    assert [d["name"] for d in summary["next_due"]] == ["fresh", "s19", "s18", "s17", "s16"]


def test_status_of_one_source(many):
    result = run_cli("status", "--config", str(many), "--source", "broken", timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "source: broken"
    detail = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in lines[1:]}
    assert detail["state"] == "failing" and detail["failures"] == "3"
    assert detail["declared in"] == "config.toml" and detail["feeds"] == "http://127.0.0.1:9/broken.rss"
    assert detail["last message"].endswith("HTTP 503") and detail["last run"].endswith("(FAILED)")
    one = json.loads(run_cli("status", "--config", str(many), "--source", "flaky", "--json", timeout=60).stdout)
    assert one["name"] == "flaky" and one["consecutive_failures"] == 1
    unknown = run_cli("status", "--config", str(many), "--source", "brokn", timeout=60)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        f"newswatch: config error: {many}: no source named 'brokn'; did you mean 'broken'? "
        "(25 sources: see `newswatch sources list`)"
    ]
