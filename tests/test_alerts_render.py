"""Alert builders, digests and rendering: stable ids, escaping, no header injection, size limits."""

from __future__ import annotations

import json
from datetime import datetime, time, timezone
from email import policy
from email.parser import BytesParser

from alerts import digest, events, render
from alerts.config import EmailConfig
from alerts.delivery import retry_delay
from newswatch.models import Alert, Article, Match

FETCHED = datetime(2024, 11, 5, 9, 30, tzinfo=timezone.utc)
CHANNEL = EmailConfig(
    name="email",
    smtp_host="127.0.0.1",
    smtp_port=25,
    security="none",
    sender="newswatch <alerts@newswatch.test>",
    to=("analyst@newswatch.test",),
)


def article(title: str = "Pyongyang sends builders to occupied Donetsk", source: str = "wire", url: str = "https://wire.test/a/1") -> Article:
    return Article(
        url=url + "?utm_source=feed",
        canonical_url=url,
        source=source,
        title=title,
        text="Hand-written fixture text about construction crews and soldiers.",
        fetched=FETCHED,
        published=FETCHED,
    )


MATCHES = [
    Match("dprk-labor", "labor", 1.0, ("construction workers", "Pyongyang"), "Pyongyang will send construction workers to Donetsk."),
    Match("dprk-troops", "troops", 3.0, ("soldiers", "pyongyang"), "About 3,000 soldiers from Pyongyang were seen near Kursk."),
]


def alert(**changes) -> Alert:
    base = events.article_matched(7, article(), MATCHES)
    return Alert(**{**base.__dict__, **changes})


def parse(message) -> object:
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


# -- Builders ---------------------------------------------------------------------


def test_article_matched_is_stable_and_ranks_by_score():
    a, b = events.article_matched(7, article(), MATCHES), events.article_matched(7, article(), list(reversed(MATCHES)))
    assert a.id == b.id and len(a.id) == 32
    assert a.id != events.article_matched(8, article(url="https://wire.test/a/2"), MATCHES).id
    assert a.categories == ("troops", "labor") and a.rules == ("dprk-troops", "dprk-labor")
    assert a.terms == ("soldiers", "pyongyang", "construction workers")  # one spelling per term
    assert a.snippet == MATCHES[1].snippet and a.url == "https://wire.test/a/1"


def test_event_ids_differ_by_event_and_episode():
    at = datetime(2024, 11, 5, tzinfo=timezone.utc)
    failing = events.source_failing("wire", 3, "HTTP 503", at=at)
    assert failing.id == events.source_failing("wire", 3, "HTTP 503", at=at).id
    assert failing.id != events.source_failing("wire", 3, "HTTP 503", at=at.replace(day=6)).id
    assert failing.id != events.source_recovered("wire", at=at).id
    updated = events.story_updated("s1", 7, article(), MATCHES, also_reported_by=["wire", "daily"])
    assert updated.event == "story.updated" and updated.also_reported_by == ("daily",)
    assert events.test_alert().id != events.test_alert(at=at).id


# -- Email --------------------------------------------------------------------------


def test_email_subject_lists_categories_and_has_text_and_html():
    msg = parse(render.alert_email(alert(), CHANNEL, FETCHED))
    # long subjects are folded; a parser may keep the space that starts the folded line
    assert msg["Subject"].strip() == "[newswatch] troops, labor: Pyongyang sends builders to occupied Donetsk"
    assert msg["Message-ID"] == f"<{alert().id}@newswatch.test>" and msg["X-Newswatch-Id"] == alert().id
    text = msg.get_body(("plain",)).get_content()
    for expected in ("Source: wire", "Published: 2024-11-05 09:30 UTC", "Link: https://wire.test/a/1", "soldiers, pyongyang"):
        assert expected in text
    html = msg.get_body(("html",)).get_content()
    assert "<mark><b>soldiers</b></mark> from <mark><b>Pyongyang</b></mark>" in html


def test_long_non_ascii_subject_keeps_every_space():
    title = "КНДР вместо строителей готовит к отправке в Россию военных и силовиков — 북한 노동자 추가 파견"
    msg = parse(render.alert_email(alert(title=title), CHANNEL, FETCHED))
    assert msg["Subject"] == f"[newswatch] troops, labor: {title}"


def test_no_header_can_be_injected_through_a_title():
    evil = alert(title="Troops\r\nBcc: victim@evil.example\r\n\r\n<script>alert(1)</script>")
    raw = render.alert_email(evil, CHANNEL, FETCHED).as_bytes()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["Bcc"] is None and "victim@evil.example" in msg["Subject"]
    assert "\n" not in msg["Subject"] and b"\nBcc:" not in raw
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_only_http_links_are_linked():
    msg = parse(render.alert_email(alert(url="javascript:alert(1)"), CHANNEL, FETCHED))
    assert "javascript:" not in msg.get_body(("html",)).get_content()
    assert "Link:" not in msg.get_body(("plain",)).get_content()


def test_source_alert_email():
    msg = parse(render.alert_email(events.source_failing("wire", 3, "HTTP 503"), CHANNEL, FETCHED))
    assert msg["Subject"].strip() == "[newswatch] source failing: Source wire is failing"
    assert "HTTP 503" in msg.get_body(("plain",)).get_content()


# -- Webhooks -------------------------------------------------------------------------


def test_json_payload_has_the_documented_fields():
    body = render.alert_payload(alert(), "json")
    assert set(body) >= {"id", "event", "title", "url", "source", "published", "categories", "rules", "terms", "snippet"}
    assert body["event"] == "article.matched" and body["published"] == "2024-11-05T09:30:00+00:00"
    assert json.loads(json.dumps(body)) == body


def test_discord_message_fits_2000_characters_and_mentions_nobody():
    long = alert(title="@everyone " + "T" * 400, snippet="soldiers " * 600)
    body = render.alert_payload(long, "discord")
    assert len(body["content"]) <= 2000 and body["content"].endswith("…")
    assert body["allowed_mentions"] == {"parse": []} and "\\@everyone" in body["content"]
    assert "**soldiers**" in body["content"]


def test_slack_message_respects_block_limits_and_escapes():
    long = alert(title="A & B <b>" + "x" * 300, snippet="soldiers <b> " * 500)
    body = render.alert_payload(long, "slack")
    header, section = body["blocks"][0], body["blocks"][1]
    assert len(header["text"]["text"]) <= 150 and len(section["text"]["text"]) <= 3000
    assert "&lt;b&gt;" in section["text"]["text"] and "<b>" not in section["text"]["text"]
    assert "*soldiers*" in section["text"]["text"] and "&amp;" in body["text"]


def test_truncate_and_fit():
    assert render.truncate("short", 10) == "short"
    cut = render.truncate("one two three four five", 14)
    assert cut == "one two three…" and len(cut) <= 14
    out = render.fit(lambda s: f"<{s}>", "word " * 100, 50)
    assert len(out) <= 50 and out.startswith("<word") and out.endswith("…>")


# -- Digests ----------------------------------------------------------------------------


def digest_alerts() -> list[Alert]:
    a1 = events.article_matched(1, article(source="wire"), MATCHES, story_id="s1")
    a2 = events.article_matched(2, article(source="daily", url="https://daily.test/x"), MATCHES, story_id="s1", also_reported_by=["weekly"])
    a3 = events.article_matched(3, article(title="Shells shipped by rail", url="https://wire.test/b"), [Match("ammo", "munitions", 1.0, ("shells",), "Shells shipped.")])
    return [a1, a2, a3, events.source_failing("daily", 3, "timeout")]


def test_digest_groups_by_category_and_lists_each_story_once():
    d = digest.build("d1", "digest", digest_alerts())
    assert [s.title for s in d.sections] == ["munitions", "troops", digest.SOURCES_SECTION]
    story = d.sections[1].entries[0]
    assert story.outlets == ("wire", "daily", "weekly") and len(story.alert_ids) == 2
    assert d.title == "Digest: 3 stories: munitions 1, troops 1, source health 1"
    text = render.digest_text(d)
    assert text.count("Pyongyang sends builders") == 1 and "wire, daily, weekly" in text


def test_digest_payloads_fit_their_services():
    many = [events.article_matched(i, article(title=f"Story {i} " + "y" * 80, url=f"https://wire.test/{i}"), [Match("r", f"cat{i % 60}", 1.0, ("y",), "y")]) for i in range(300)]
    d = digest.build("d2", "summary", many, max_per_hour=5)
    assert d.title.startswith("300 more stories (over the limit of 5 messages an hour)")
    slack = render.digest_payload(d, "slack")
    assert len(slack["blocks"]) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"][1:-1])
    assert "more categories not shown" in slack["blocks"][-1]["elements"][0]["text"]
    discord = render.digest_payload(d, "discord")["content"]
    assert len(discord) <= 2000 and "more" in discord
    assert len(render.digest_payload(d, "json")["alerts"]) == 300
    msg = parse(render.digest_email(d, CHANNEL, FETCHED))
    assert msg["Message-ID"] == "<d2@newswatch.test>" and msg["Subject"].strip().startswith("[newswatch] 300 more stories")


def test_last_digest_slot_in_local_time():
    now = datetime(2024, 11, 5, 12, 0).astimezone()
    assert digest.last_slot(time(8, 0), now) == now.replace(hour=8)
    assert digest.last_slot(time(13, 0), now) == now.replace(day=4, hour=13)


def test_retry_delay_backs_off_with_jitter_and_honours_retry_after():
    delays = [retry_delay(n, 10, 1000) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        assert 5 * 2 ** (n - 1) <= delay <= 10 * 2 ** (n - 1)
    assert retry_delay(20, 10, 1000) <= 1000
    assert retry_delay(1, 10, 1000, retry_after=120) == 120
