"""A crawl sends each alert right after its article commits, not when the crawl ends."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from conftest import crawl, query, write_config
from newswatch.demo.receivers import WebhookReceiver
from newswatch.demo.run import demo_sources
from newswatch.demo.server import SITE
from newswatch.demo.synthetic import SyntheticArticle, article_page, rss_feed

WORKERS = SyntheticArticle(
    "/news/workers.html",
    "North Korea sends construction workers to Russian-occupied Donetsk",
    (
        "North Korea has sent a first group of construction workers to the Russian-occupied city of "
        "Donetsk, officials in the separatist administration said on Tuesday, confirming earlier reports.",
        "About 300 North Korean laborers arrived by train and will rebuild apartment blocks damaged in "
        "the fighting, the officials said. Pyongyang earns foreign currency from workers it sends abroad.",
        "United Nations sanctions adopted in 2017 ban the hiring of North Korean workers, but analysts say "
        "Russia no longer feels bound by them. More workers are expected to follow in the spring.",
    ),
    datetime(2026, 3, 1, tzinfo=timezone.utc),
)
TROOPS = SyntheticArticle(
    "/news/troops.html",
    "North Korean troops deployed to Russia's Kursk region, Seoul says",
    (
        "South Korea's intelligence service said North Korea has deployed thousands of troops to Russia, "
        "where the soldiers are being trained before joining the fighting in the Kursk region.",
        "The North Korean soldiers travelled on Russian navy ships from the port of Chongjin to Vladivostok, "
        "the agency said, citing satellite images and intercepted communications.",
        "Kyiv said the deployment of North Korean troops marked a new stage of the war and urged its allies "
        "to respond. Moscow and Pyongyang have denied that any soldiers were sent.",
    ),
    datetime(2026, 3, 2, tzinfo=timezone.utc),
)


def test_the_first_alert_arrives_while_the_crawl_is_still_running(tmp_path, site):
    """The troops page is held open until the workers article's alert has arrived; at most 4 s."""
    seen_by_second_page = []
    with WebhookReceiver() as hook:

        def second_page(request):
            try:
                hook.wait_for(1, timeout=4)  # under the crawl's 5 s request timeout
            except TimeoutError:
                pass
            seen_by_second_page.append(len(hook.requests))
            body = article_page(TROOPS).replace("{{BASE}}", site.base_url).encode()
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        site.put(WORKERS.path, article_page(WORKERS))
        site.route(TROOPS.path, second_page)
        site.put("/news/feed.rss", rss_feed([WORKERS, TROOPS]))
        config = write_config(
            tmp_path,
            f'[[sources]]\nname = "wire"\nfeeds = ["{site.url("/news/feed.rss")}"]\n\n'
            f'[[alerts.webhook]]\nname = "hook"\nurl = "{hook.url}"\n',
        )
        assert crawl(config).returncode == 0
        assert seen_by_second_page == [1], "the first alert was not delivered before the next page was served"
        assert sorted(r.json["title"] for r in hook.requests) == sorted([WORKERS.title, TROOPS.title])
    categories = {r["category"] for r in query(config, "select category from matches")}
    assert categories == {"labor", "troops"}


def test_one_alert_per_story_and_story_updates_for_channels_that_ask(tmp_path, demo_site):
    manifest = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
    story = [p for p in manifest if p["story"] == "feb2023-workers"]
    with WebhookReceiver() as everything, WebhookReceiver() as default:
        config = write_config(
            tmp_path,
            demo_sources(demo_site.base_url)
            + f'\n[[alerts.webhook]]\nname = "all"\nurl = "{everything.url}"\n'
            'events = ["article.matched", "story.updated"]\n'
            + f'\n[[alerts.webhook]]\nname = "default"\nurl = "{default.url}"\n',
        )
        assert crawl(config).returncode == 0
        titles = {p["title"] for p in story}
        events = [r.json["event"] for r in everything.requests if r.json["title"] in titles]
        # Two of the five started a story of their own (the Feb 1 and Feb 2 reports) until an article
        # retelling both merged them, which raised no further article.matched.
        matched = events.count("article.matched")
        assert len(events) == len(titles) == 5 and 1 <= matched <= 2
        assert events.count("story.updated") == 5 - matched
        assert [r.json["event"] for r in default.requests if r.json["title"] in titles] == ["article.matched"] * matched
        assert all(r.json["event"] == "article.matched" for r in default.requests)
