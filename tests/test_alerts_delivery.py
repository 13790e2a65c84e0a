"""Delivery through real servers on 127.0.0.1: an aiosmtpd SMTP server and an HTTP webhook receiver.

Every alert must arrive exactly once however the receiver misbehaves, or be kept as failed with
the reason; nothing is lost.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts import events, outbox
from alerts.delivery import Dispatcher
from newswatch.config import Config, load_config
from newswatch.demo.receivers import Reply, SmtpSink, WebhookReceiver, alerts_toml
from newswatch.models import Alert, Article, Match
from newswatch.storage import Storage

SECRET = "hook-secret-for-tests"
FAST = '[alerts]\nbackoff = "50ms"\nbackoff_max = "200ms"\n'


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def hook():
    with WebhookReceiver(secret=SECRET) as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def secret_env(monkeypatch):
    monkeypatch.setenv("NW_TEST_HOOK_SECRET", SECRET)


def configure(tmp_path: Path, alerts: str, settings: str = FAST) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndatabase = "nw.db"\n\n{settings}\n{alerts}', encoding="utf-8")
    return load_config(path)


def webhook_only(hook: WebhookReceiver, extra: str = "") -> str:
    return f'[[alerts.webhook]]\nname = "ops"\nurl = "{hook.url}"\nsecret_env = "NW_TEST_HOOK_SECRET"\ntimeout = "5s"\n{extra}\n'


def email_only(smtp: SmtpSink, extra: str = "") -> str:
    return (
        f'[alerts.email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsecurity = "none"\n'
        f'from = "newswatch <alerts@newswatch.test>"\nto = ["analyst@newswatch.test"]\ntimeout = "5s"\n{extra}\n'
    )


def news(i: int, source: str = "wire", story: str | None = None, category: str = "troops") -> tuple[Article, list[Match], str | None]:
    article = Article(
        url=f"https://{source}.test/news/{i}",
        canonical_url=f"https://{source}.test/news/{i}",
        source=source,
        title=f"Report {i}: soldiers from Pyongyang seen near the front",
        text="Hand-written fixture text: soldiers and construction workers were seen.",
        fetched=datetime.now(timezone.utc),
        published=datetime(2024, 11, 5, tzinfo=timezone.utc),
    )
    return article, [Match(f"dprk-{category}", category, 1.0, ("soldiers",), "Some soldiers from Pyongyang were seen.")], story


def store(config: Config, *items: tuple[Article, list[Match], str | None]) -> list[Alert]:
    """What the crawl pipeline does: article, matches and alert committed in one transaction."""
    storage = Storage(config.storage.database)
    alerts = []
    try:
        for article, matches, story in items:
            with storage.transaction():
                article_id = storage.insert_article(article, content_hash=article.url, story_id=story)
                storage.save_matches(article_id, matches)
                alert = events.article_matched(article_id, article, matches, story_id=story)
                if outbox.enqueue(storage.db, alert, config.alerts):
                    alerts.append(alert)
    finally:
        storage.close()
    return alerts


def rows(config: Config) -> list[dict]:
    storage = Storage(config.storage.database)
    try:
        return outbox.listing(storage.db, limit=1000)
    finally:
        storage.close()


def poll(condition, timeout: float = 10.0, every: float = 0.02) -> None:
    """Wait until condition() is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        pause.wait(every)


def ids(requests) -> list[str]:
    return [r.headers["X-Newswatch-Id"] for r in requests]


@pytest.fixture
def running():
    """Start a dispatcher (its own threads and retry timer) and stop it after the test."""
    started = []

    def start(config: Config) -> Dispatcher:
        dispatcher = Dispatcher(config)
        dispatcher.start()
        started.append(dispatcher)
        return dispatcher

    yield start
    for dispatcher in started:
        assert dispatcher.stop(timeout=10)


# -- The happy path -----------------------------------------------------------------


def test_alert_reaches_email_and_signed_webhook(tmp_path, smtp, hook, running):
    config = configure(tmp_path, alerts_toml(smtp, hook, secret_env="NW_TEST_HOOK_SECRET"))
    dispatcher = running(config)
    [alert] = store(config, news(1))
    dispatcher.kick()

    [mail] = smtp.wait_for(1)
    assert mail["Subject"].strip() == f"[newswatch] troops: {alert.title}"
    assert mail["Message-ID"] == f"<{alert.id}@newswatch.test>"
    assert "Published: 2024-11-05 00:00 UTC" in mail.get_body(("plain",)).get_content()
    assert "<mark><b>soldiers</b></mark>" in mail.get_body(("html",)).get_content()

    [request] = hook.wait_for(1)
    assert hook.verify(request) and request.headers["X-Newswatch-Id"] == alert.id
    assert request.json["id"] == alert.id and request.json["event"] == "article.matched"
    assert request.json["categories"] == ["troops"] and request.json["terms"] == ["soldiers"]
    poll(lambda: all(r["status"] == "sent" for r in rows(config)))


def test_outbox_rows_commit_with_the_article_or_not_at_all(tmp_path, hook):
    config = configure(tmp_path, webhook_only(hook))
    dispatcher = Dispatcher(config)  # creates the outbox tables
    storage = Storage(config.storage.database)
    article, matches, _ = news(1)
    with pytest.raises(RuntimeError):
        with storage.transaction():
            article_id = storage.insert_article(article, content_hash="h")
            outbox.enqueue(storage.db, events.article_matched(article_id, article, matches), config.alerts)
            raise RuntimeError("crash before commit")
    assert storage.db["alerts"].count == 0 and storage.db["deliveries"].count == 0
    storage.close()
    assert dispatcher.deliver_due().sent == 0 and hook.requests == []


def test_the_same_alert_is_stored_once(tmp_path, hook):
    config = configure(tmp_path, webhook_only(hook))
    storage = Storage(config.storage.database)
    alert = events.source_failing("wire", 3, "HTTP 503", at=datetime(2024, 11, 5, tzinfo=timezone.utc))
    assert outbox.enqueue(storage.db, alert, config.alerts) == 1
    assert outbox.enqueue(storage.db, alert, config.alerts) == 0
    storage.close()
    assert Dispatcher(config).deliver_due().sent == 1 and len(hook.requests) == 1


def test_enqueue_without_channels_is_a_no_op(tmp_path):
    config = configure(tmp_path, "")
    assert store(config, news(1)) == []
    assert Dispatcher(config).deliver_due().sent == 0


def test_one_alert_per_story_unless_per_article(tmp_path, hook):
    config = configure(tmp_path, webhook_only(hook))
    assert len(store(config, news(1, "wire", story="s1"), news(2, "daily", story="s1"), news(3, "wire", story="s2"))) == 2
    other = tmp_path / "per-article"
    other.mkdir()
    config = configure(other, webhook_only(hook), FAST + 'per = "article"\n')
    assert len(store(config, news(1, "wire", story="s1"), news(2, "daily", story="s1"))) == 2


def test_category_filter_picks_the_channel(tmp_path, smtp, hook):
    config = configure(tmp_path, email_only(smtp, 'categories = ["labor"]') + webhook_only(hook, 'categories = ["troops"]'))
    store(config, news(1, category="troops"))
    assert Dispatcher(config).deliver_due().sent == 1
    assert len(hook.requests) == 1 and smtp.messages == []


# -- Faults: each alert still arrives exactly once ----------------------------------------


def test_receiver_down_then_up_delivers_each_alert_once(tmp_path, hook, running):
    config = configure(tmp_path, webhook_only(hook))
    hook.stop()
    alerts = store(config, news(1), news(2), news(3))
    report = Dispatcher(config).deliver_due()
    assert (report.sent, report.retrying) == (0, 3)
    assert "connection refused" in rows(config)[0]["last_error"]

    hook.start()  # same port; the dispatcher's retry timer finds it again
    dispatcher = running(config)
    hook.wait_for(3)
    poll(lambda: all(r["status"] == "sent" for r in rows(config)))
    assert dispatcher.stop(timeout=10)
    assert Dispatcher(config).deliver_due().sent == 0
    assert sorted(ids(hook.requests)) == sorted(a.id for a in alerts)


def test_500_500_200_delivers_once(tmp_path, hook, running):
    config = configure(tmp_path, webhook_only(hook))
    hook.reply(500, 503)
    [alert] = store(config, news(1))
    running(config).kick()
    requests = hook.wait_for(3)
    poll(lambda: rows(config)[0]["status"] == "sent")
    assert [r.status for r in requests] == [500, 503, 200]
    assert ids(requests) == [alert.id] * 3 and all(hook.verify(r) for r in requests)
    assert rows(config)[0]["attempts"] == 3 and len(hook.requests) == 3


def test_429_retry_after_is_honoured(tmp_path, hook, running):
    config = configure(tmp_path, webhook_only(hook))
    hook.reply(Reply(429, (("Retry-After", "1"),)))
    store(config, news(1))
    running(config).kick()
    first, second = hook.wait_for(2)
    assert second.arrived - first.arrived >= 1.0  # the backoff alone would retry after 50 ms
    assert second.status == 200
    poll(lambda: rows(config)[0]["status"] == "sent")


def test_401_is_permanent_kept_with_the_reason_and_can_be_retried(tmp_path, hook):
    config = configure(tmp_path, webhook_only(hook))
    hook.reply(Reply(401, body=b'{"error": "bad token"}'))
    [alert] = store(config, news(1))
    report = Dispatcher(config).deliver_due()
    assert report.failed == 1 and "HTTP 401" in report.problems[0] and "bad token" in report.problems[0]
    [row] = rows(config)
    assert row["status"] == "failed" and "HTTP 401 Unauthorized" in row["last_error"]

    storage = Storage(config.storage.database)
    assert outbox.requeue_failed(storage.db, time.time()) == 1
    storage.close()
    assert Dispatcher(config).deliver_due().sent == 1
    assert ids(hook.requests) == [alert.id, alert.id] and rows(config)[0]["status"] == "sent"


def test_gives_up_after_max_age(tmp_path, hook, running):
    config = configure(tmp_path, webhook_only(hook), FAST + 'max_age = "300ms"\n')
    hook.stop()
    store(config, news(1))
    running(config).kick()
    poll(lambda: rows(config)[0]["status"] == "failed")
    assert rows(config)[0]["last_error"].startswith("gave up after")


def test_smtp_down_then_up_delivers(tmp_path, smtp, running):
    config = configure(tmp_path, email_only(smtp))
    smtp.stop()
    [alert] = store(config, news(1))
    assert Dispatcher(config).deliver_due().retrying == 1
    smtp.start()
    running(config).kick()
    [mail] = smtp.wait_for(1)
    assert mail["X-Newswatch-Id"] == alert.id
    poll(lambda: rows(config)[0]["status"] == "sent")
    assert len(smtp.messages) == 1


def test_smtp_4xx_is_retried_and_5xx_is_permanent(tmp_path, smtp):
    config = configure(tmp_path, email_only(smtp))
    smtp.reply("451 4.3.0 Try again later", "550 5.7.1 Message rejected")
    store(config, news(1), news(2))
    dispatcher = Dispatcher(config)
    first = dispatcher.deliver_due()
    assert (first.sent, first.retrying, first.failed) == (0, 1, 1)
    assert "550 5.7.1 Message rejected" in first.problems[0]
    poll(lambda: dispatcher.deliver_due().sent == 1)
    assert len(smtp.messages) == 1
    assert sorted(r["status"] for r in rows(config)) == ["failed", "sent"]


def test_smtp_auth_failure_is_kept_as_failed_until_fixed(tmp_path, monkeypatch):
    with SmtpSink(users={"alerts": "right-password"}) as smtp:
        monkeypatch.setenv("NW_TEST_SMTP_PASSWORD", "wrong-password")
        login = 'username = "alerts"\npassword_env = "NW_TEST_SMTP_PASSWORD"'
        config = configure(tmp_path, email_only(smtp, login))
        store(config, news(1))
        report = Dispatcher(config).deliver_due()
        assert report.failed == 1 and "authentication as alerts failed" in report.problems[0] and "535" in report.problems[0]
        assert "wrong-password" not in report.problems[0] and rows(config)[0]["status"] == "failed"

        monkeypatch.setenv("NW_TEST_SMTP_PASSWORD", "right-password")
        config = configure(tmp_path, email_only(smtp, login))
        storage = Storage(config.storage.database)
        outbox.requeue_failed(storage.db, time.time(), "email")
        storage.close()
        assert Dispatcher(config).deliver_due().sent == 1 and len(smtp.messages) == 1


def test_a_stuck_channel_does_not_delay_the_others(tmp_path, smtp, hook, running):
    config = configure(tmp_path, email_only(smtp) + webhook_only(hook))
    hook.hold()  # the webhook receives but does not answer
    dispatcher = running(config)
    store(config, news(1))
    dispatcher.kick()
    hook.wait_for(1)
    store(config, news(2))
    dispatcher.kick()
    smtp.wait_for(2)  # both emails go out while the webhook's first send is still waiting
    assert len(hook.requests) == 1
    hook.release()
    hook.wait_for(2)
    poll(lambda: all(r["status"] == "sent" for r in rows(config)))


# -- Digests and noise control ------------------------------------------------------------


def test_digest_lists_each_story_once_with_all_its_outlets(tmp_path, smtp):
    config = configure(tmp_path, email_only(smtp, 'mode = "digest"\ndigest_at = "08:00"'), FAST + 'per = "article"\n')
    store(config, news(1, "wire", story="s1"), news(2, "daily", story="s1"), news(3, "wire", category="labor"))
    dispatcher = Dispatcher(config)
    assert dispatcher.deliver_due().sent == 0  # held until digest time
    assert {r["status"] for r in rows(config)} == {"held"}

    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    assert dispatcher.send_digests(tomorrow) == 1
    assert dispatcher.send_digests(tomorrow) == 0  # one digest per period
    assert dispatcher.deliver_due().sent == 1
    [mail] = smtp.messages
    assert mail["Subject"].strip() == "[newswatch] Digest: 2 stories: labor 1, troops 1"
    text = mail.get_body(("plain",)).get_content()
    assert text.count("Report 1:") == 1 and "Report 2:" not in text and "wire, daily" in text
    assert {r["status"] for r in rows(config)} == {"sent"}


def test_digest_names_outlets_that_joined_an_announced_story(tmp_path, smtp):
    config = configure(tmp_path, email_only(smtp, 'mode = "digest"\ndigest_at = "08:00"'))  # per = "story"
    assert len(store(config, news(1, "wire", story="s1"), news(2, "daily", story="s1"), news(3, "post", story="s1"))) == 1
    dispatcher = Dispatcher(config)
    assert dispatcher.send_digests(datetime.now(timezone.utc) + timedelta(days=1)) == 1
    assert dispatcher.deliver_due().sent == 1
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert text.count("Report 1:") == 1 and "wire, daily, post" in text


def test_over_the_hourly_limit_alerts_are_folded_into_a_summary(tmp_path, hook):
    config = configure(tmp_path, webhook_only(hook, "max_per_hour = 2"))
    alerts = store(config, *(news(i) for i in range(5)))
    dispatcher = Dispatcher(config)
    assert dispatcher.deliver_due().sent == 2
    assert dispatcher.deliver_due().sent == 0
    assert sorted(r["status"] for r in rows(config)) == ["held"] * 3 + ["sent"] * 2

    storage = Storage(config.storage.database)  # an hour passes
    storage.db.execute("update deliveries set sent = ? where sent is not null", [outbox.iso(time.time() - 7200)])
    storage.close()
    assert dispatcher.deliver_due().sent == 1
    summary = hook.requests[-1].json
    assert summary["event"] == "digest" and summary["count"] == 3 and "over the limit of 2" in summary["title"]
    received = ids(hook.requests[:2]) + [a["id"] for a in summary["alerts"]]
    assert sorted(received) == sorted(a.id for a in alerts)
    assert {r["status"] for r in rows(config)} == {"sent"}


# -- Other formats ---------------------------------------------------------------------------


def test_slack_and_discord_formats(tmp_path):
    with WebhookReceiver() as slack, WebhookReceiver() as discord:
        config = configure(
            tmp_path,
            f'[[alerts.webhook]]\nname = "slack"\nurl = "{slack.url}"\nformat = "slack"\n'
            f'[[alerts.webhook]]\nname = "discord"\nurl = "{discord.url}"\nformat = "discord"\n',
        )
        article, matches, _ = news(1)
        long = [Match("dprk-troops", "troops", 1.0, ("soldiers",), "soldiers " * 400)]
        store(config, (article, long, None))
        assert Dispatcher(config).deliver_due().sent == 2
        assert slack.requests[0].json["blocks"][0]["text"]["text"] == article.title
        content = discord.requests[0].json["content"]
        assert len(content) <= 2000 and content.endswith("…") and "X-Newswatch-Signature" not in discord.requests[0].headers


def test_apprise_channel(tmp_path, monkeypatch, hook):
    pytest.importorskip("apprise")
    monkeypatch.setenv("NW_TEST_APPRISE", f"json://127.0.0.1:{hook.port}/hook")
    config = configure(tmp_path, '[[alerts.apprise]]\nname = "phone"\nurl_env = "NW_TEST_APPRISE"\n')
    [alert] = store(config, news(1))
    assert Dispatcher(config).deliver_due().sent == 1
    body = hook.requests[0].json
    assert body["title"] == f"[newswatch] troops: {alert.title}" and "Source: wire" in body["message"]

    hook.reply(500)
    store(config, news(2))
    report = Dispatcher(config).deliver_due()
    assert report.retrying == 1 and "json://" in rows(config)[0]["last_error"]
