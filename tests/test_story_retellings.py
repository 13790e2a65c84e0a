"""Retellings of one report join one story across outlets and languages, through the real crawl pipeline.

The fixture outlets of tests/outlets.py (templates unlike the demo's) serve articles from
tests/data/stories/retellings.json: one February 2023 Daily NK report told by three outlets in English,
one in Korean and one in Russian ("report"); hard negatives of the same topic ("negative": a same-week
report of the same source, a denial, a second group months later, the 2022 troops claim); and two reports
that one later article links ("bridge-first", then "bridge").
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

import outlets
from conftest import crawl, query, run_cli, write_config
from newswatch.demo.receivers import WebhookReceiver
from newswatch.demo.server import SiteServer

DATA = Path(__file__).resolve().parent / "data" / "stories" / "retellings.json"
RECORDS = json.loads(DATA.read_text(encoding="utf-8"))


def stories_of(*roles: str) -> dict[str, tuple[outlets.Story, ...]]:
    """The fixture articles with these roles, by outlet."""
    chosen: dict[str, list[outlets.Story]] = {}
    for record in RECORDS:
        if record["role"] in roles:
            fields = {k: v for k, v in record.items() if k not in ("outlet", "role")}
            chosen.setdefault(record["outlet"], []).append(outlets.Story.from_json(fields))
    return {name: tuple(found) for name, found in chosen.items()}


def publish(servers: dict[str, SiteServer], *roles: str) -> None:
    """Serve these articles (and a feed listing them) on each outlet's server, in that outlet's template."""
    for name, stories in stories_of(*roles).items():
        site = outlets.site_pages(replace(outlets.outlet(name), stories=stories))
        for path, body in site.items():
            servers[name].put(path, body.replace(outlets.BASE, servers[name].base_url))


@pytest.fixture()
def world(tmp_path):
    """A server per outlet and a webhook receiver for both story events; yields (servers, hook, config)."""
    with ExitStack() as stack:
        servers = {name: stack.enter_context(SiteServer(root=None)) for name in outlets.OUTLETS}
        hook = stack.enter_context(WebhookReceiver())
        sources = "".join(
            f'[[sources]]\nname = "{name}"\nfeeds = ["{server.url(outlets.outlet(name).feed_path)}"]\n'
            for name, server in servers.items()
        )
        alerts = f'[[alerts.webhook]]\nname = "hook"\nurl = "{hook.url}"\nevents = ["article.matched", "story.updated"]\n'
        yield servers, hook, write_config(tmp_path, sources + alerts)


def stored_stories(config) -> dict[str, str]:
    """story_id by article title."""
    return {r["title"]: r["story_id"] for r in query(config, "select title, story_id from articles")}


def titles(*roles: str) -> list[str]:
    return [r["title"] for r in RECORDS if r["role"] in roles]


def test_one_report_in_five_retellings_and_three_languages_is_one_story_and_one_alert(world):
    servers, hook, config = world
    publish(servers, "report", "negative")
    result = crawl(config)
    assert result.returncode == 0, result.stdout + result.stderr
    story = stored_stories(config)
    report = {story[t] for t in titles("report")}
    assert len(report) == 1, f"the retellings were split: {report}"
    languages = {r["language"] for r in query(config, "select language from articles where story_id = ?", (*report,))}
    assert languages == {"en", "ko", "ru"}
    for title in titles("negative"):
        assert story[title] not in report, f"a different report joined the story: {title}"
    assert len({story[t] for t in titles("negative")}) == len(titles("negative"))

    # Only articles that a rule matches raise alerts: one article.matched for the story, then updates.
    matching = query(config, "select distinct a.title from articles a join matches m on m.article_id = a.id")
    alerted = [r["title"] for r in matching if r["title"] in titles("report")]
    assert len(alerted) >= 3 and titles("report")[3] in alerted  # the Korean retelling among them
    events = [r.json["event"] for r in hook.requests if r.json["title"] in titles("report")]
    assert events.count("article.matched") == 1 and events.count("story.updated") == len(alerted) - 1, events
    updates = [r.json for r in hook.requests if r.json["event"] == "story.updated"]
    assert all(u["evidence"]["score"] >= 0.8 and u["evidence"]["with_article"] for u in updates)
    assert len(updates) == len(alerted) - 1


def test_stories_show_prints_the_evidence_that_joined_each_article(world):
    servers, _, config = world
    publish(servers, "report")
    crawl(config)
    (story_id,) = {r["story_id"] for r in query(config, "select story_id from articles")}
    shown = run_cli("stories", "show", story_id, "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("started the story") == 1 and shown.stdout.count("joined with article") == 4
    assert "cited source: daily-nk" in shown.stdout and "shared figures:" in shown.stdout
    assert "shared quotes:" in shown.stdout and "We cannot send people to a place" in shown.stdout

    document = json.loads(run_cli("stories", "show", story_id, "--config", str(config), "--json").stdout)
    assert document["story_id"] == story_id and len(document["articles"]) == 5
    joined = [a["evidence"] for a in document["articles"] if a["evidence"]]
    assert len(joined) == 4 and all({"score", "entities", "numbers", "quotes", "sources"} <= set(e) for e in joined)
    assert all("daily-nk" in e["sources"] and e["numbers"] for e in joined), "every retelling cites Daily NK's figures"
    language = {a["article_id"]: a["language"] for a in document["articles"]}
    across = [a for a in document["articles"] if a["evidence"] and language[a["evidence"]["with_article"]] != a["language"]]
    assert across, "some retelling joined an article in another language"

    missing = run_cli("stories", "show", "story-999", "--config", str(config))
    assert missing.returncode == 2 and "story-999" in missing.stderr


def test_an_article_linking_two_stories_merges_them_without_a_second_alert(world):
    servers, hook, config = world
    publish(servers, "bridge-first")
    crawl(config)
    first = stored_stories(config)
    x, y = (first[t] for t in titles("bridge-first"))
    assert x != y, "the two reports are separate stories before anything links them"
    matched = [r.json["title"] for r in hook.requests if r.json["event"] == "article.matched"]
    assert sorted(matched) == sorted(titles("bridge-first"))

    publish(servers, "bridge-first", "bridge")
    crawl(config)
    after = stored_stories(config)
    assert len(set(after.values())) == 1, after
    (merged,) = set(after.values())
    assert merged in (x, y)
    gone = y if merged == x else x
    assert [r.json["title"] for r in hook.requests if r.json["event"] == "article.matched"] == matched
    (update,) = [r.json for r in hook.requests if r.json["event"] == "story.updated"]
    assert update["title"] == titles("bridge")[0] and update["evidence"]["merged"] == [gone]

    shown = run_cli("stories", "show", gone, "--config", str(config))
    assert shown.returncode == 2 and f"merged into {merged}" in shown.stderr
    listed = json.loads(run_cli("stories", "--config", str(config), "--json").stdout)
    assert [(s["story_id"], s["articles"]) for s in listed] == [(merged, 3)]
