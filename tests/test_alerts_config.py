"""[alerts] config: channels, defaults, secrets from the environment, and errors naming the channel."""

from __future__ import annotations

import textwrap
from datetime import time
from pathlib import Path

import pytest

from alerts.config import AlertsConfig, EmailConfig, WebhookConfig, check_categories, parse_alerts
from newswatch.config import load_config
from newswatch.configreader import Table
from newswatch.errors import ConfigError

EMAIL = """
[alerts.email]
smtp_host = "smtp.example.org"
from = "newswatch <alerts@example.org>"
to = ["analyst@example.org"]
"""


def load(tmp_path: Path, alerts: str) -> AlertsConfig:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndatabase = "nw.db"\n{textwrap.dedent(alerts)}', encoding="utf-8")
    return load_config(path).alerts


def error(tmp_path: Path, alerts: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, alerts)
    return str(info.value)


def test_the_issue_example_loads_with_secrets_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_SMTP_PASSWORD", "pw-123")
    monkeypatch.setenv("NEWSWATCH_WEBHOOK_SECRET", "hook-456")
    config = load(
        tmp_path,
        """
        [alerts.email]
        smtp_host = "smtp.example.org"
        smtp_port = 587
        security = "starttls"
        username = "alerts@example.org"
        password_env = "NEWSWATCH_SMTP_PASSWORD"
        from = "newswatch <alerts@example.org>"
        to = ["analyst@example.org"]
        mode = "digest"
        digest_at = "08:00"

        [[alerts.webhook]]
        name = "ops"
        url = "https://hooks.example.org/newswatch"
        format = "json"
        secret_env = "NEWSWATCH_WEBHOOK_SECRET"
        categories = ["troops"]
        max_per_hour = 10

        [[alerts.webhook]]
        name = "chat"
        url = "https://discord.example.org/api/webhooks/1/abc"
        format = "discord"
        events = ["source.failing", "source.recovered"]
        """,
    )
    email, ops, chat = config.channels
    assert isinstance(email, EmailConfig) and isinstance(ops, WebhookConfig)
    assert (email.name, email.password, email.mode, email.digest_at) == ("email", "pw-123", "digest", time(8, 0))
    assert (ops.secret, ops.categories, ops.max_per_hour) == ("hook-456", ("troops",), 10)
    assert chat.format == "discord" and config.per == "story"
    assert "pw-123" not in repr(config) and "hook-456" not in repr(config)
    assert "hooks.example.org/newswatch" not in repr(config)  # hook URLs may carry tokens


def test_defaults(tmp_path):
    config = load(tmp_path, EMAIL + '[[alerts.webhook]]\nname = "ops"\nurl = "http://127.0.0.1:9/x"\n')
    email, hook = config.channels
    assert (email.smtp_port, email.security, email.mode, email.timeout) == (587, "starttls", "each", 10.0)
    assert hook.format == "json" and hook.secret is None and hook.categories == ()
    assert (config.max_age, config.backoff, config.backoff_max) == (2 * 86400, 30, 1800)
    assert load(tmp_path, EMAIL + 'security = "tls"\n').channels[0].smtp_port == 465


def test_no_channels_is_valid(tmp_path):
    assert load(tmp_path, "").channels == ()


def test_missing_secret_variable_names_the_channel_and_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("NW_TEST_UNSET", raising=False)
    message = error(tmp_path, '[[alerts.webhook]]\nname = "ops"\nurl = "https://h.example.org/"\nsecret_env = "NW_TEST_UNSET"\n')
    assert "config.toml" in message and "alerts.webhook[1] (ops)" in message and "NW_TEST_UNSET" in message
    message = error(tmp_path, EMAIL + 'username = "u"\npassword_env = "NW_TEST_UNSET"\n')
    assert "alerts.email (email).password_env" in message and "NW_TEST_UNSET is not set" in message


@pytest.mark.parametrize(
    "extra, key, fragment",
    [
        ('to = ["not an address"]', "to", "not a valid email address"),
        ('to = ["a@example.org, b@example.org"]', "to", "not a valid email address"),
        ('to = ["a@example.org\\r\\nBcc: x@evil.example"]', "to", "not a valid email address"),
        ('from = "nobody"', "from", "not a valid email address"),
        ("to = []", "to", "at least one address"),
        ('security = "ssl"', "security", "must be one of"),
        ('mode = "digest"\ndigest_at = "8am"', "digest_at", "HH:MM"),
        ('digest_at = "08:00"', "digest_at", 'only used with mode = "digest"'),
        ('mode = "digest"\nmax_per_hour = 5', "max_per_hour", 'only applies with mode = "each"'),
        ('username = "u"', "password_env", "go together"),
        ('smtp_hots = "x"', "smtp_hots", "did you mean 'smtp_host'"),
        ('events = ["article.created"]', "events", "unknown event"),
    ],
)
def test_bad_email_settings_name_the_channel_and_key(tmp_path, extra, key, fragment):
    alerts = EMAIL.replace('to = ["analyst@example.org"]\n', "") if extra.startswith("to") else EMAIL
    alerts = alerts.replace('from = "newswatch <alerts@example.org>"\n', "") if extra.startswith("from") else alerts
    message = error(tmp_path, alerts + extra + "\n")
    assert f"alerts.email (email).{key}" in message and fragment in message


@pytest.mark.parametrize(
    "hook, key, fragment",
    [
        ('url = "ftp://h.example.org/x"', "url", "not an http(s) URL"),
        ('url = "https://"', "url", "not an http(s) URL"),
        ('url = "https://h.example.org:99999/"', "url", "invalid port"),
        ('url = "https://h.example.org/a b"', "url", "spaces"),
        ("", "url", "exactly one of url or url_env"),
        ('url = "https://h.example.org/"\nformat = "teams"', "format", "must be one of"),
    ],
)
def test_bad_webhook_settings_name_the_channel_and_key(tmp_path, hook, key, fragment):
    message = error(tmp_path, f'[[alerts.webhook]]\nname = "ops"\n{hook}\n')
    assert f"alerts.webhook[1] (ops).{key}" in message and fragment in message


def test_url_env_reads_the_url_and_never_prints_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NW_TEST_HOOK", "https://hooks.slack.example/services/T0/B0/SECRETTOKEN")
    config = load(tmp_path, '[[alerts.webhook]]\nname = "slack"\nurl_env = "NW_TEST_HOOK"\nformat = "slack"\n')
    assert config.channels[0].url.endswith("SECRETTOKEN")
    assert config.channels[0].target == "https://hooks.slack.example"
    monkeypatch.setenv("NW_TEST_HOOK", "ftp://files.example/SECRETTOKEN")
    message = error(tmp_path, '[[alerts.webhook]]\nname = "slack"\nurl_env = "NW_TEST_HOOK"\n')
    assert "$NW_TEST_HOOK" in message and "SECRETTOKEN" not in message


def test_channel_names_are_required_valid_and_unique(tmp_path):
    assert "name: is required" in error(tmp_path, '[[alerts.webhook]]\nurl = "https://h.example.org/"\n')
    assert "must be letters" in error(tmp_path, '[[alerts.webhook]]\nname = "a b"\nurl = "https://h.example.org/"\n')
    twice = EMAIL + '[[alerts.webhook]]\nname = "email"\nurl = "https://h.example.org/"\n'
    assert "channel name 'email' is used twice" in error(tmp_path, twice)


def test_several_email_channels(tmp_path):
    config = load(
        tmp_path,
        """
        [[alerts.email]]
        name = "labor-desk"
        smtp_host = "smtp.example.org"
        from = "alerts@example.org"
        to = ["labor@example.org"]

        [[alerts.email]]
        name = "troops-desk"
        smtp_host = "smtp.example.org"
        from = "alerts@example.org"
        to = ["troops@example.org", "Duty Officer <duty@example.org>"]
        """,
    )
    assert [c.name for c in config.channels] == ["labor-desk", "troops-desk"]
    assert config.channels[1].to == ("troops@example.org", "Duty Officer <duty@example.org>")


def test_global_settings(tmp_path):
    config = load(tmp_path, '[alerts]\nper = "article"\nmax_age = "6h"\nbackoff = "1s"\nbackoff_max = "1m"\n')
    assert (config.per, config.max_age, config.backoff, config.backoff_max) == ("article", 21600, 1, 60)
    assert "must be one of" in error(tmp_path, '[alerts]\nper = "outlet"\n')
    assert "backoff" in error(tmp_path, '[alerts]\nbackoff = "2h"\n')


def test_channel_filters(tmp_path):
    config = load(tmp_path, EMAIL + 'categories = ["labor"]\nevents = ["article.matched", "source.failing"]\n')
    email = config.channels[0]
    assert email.accepts("article.matched", ("labor", "troops"))
    assert not email.accepts("article.matched", ("troops",))
    assert email.accepts("source.failing", ())  # source alerts have no category to filter on
    assert not email.accepts("source.recovered", ())
    assert email.accepts("test", ())


def test_category_filters_must_name_a_category_of_the_rules(tmp_path):
    table = Table({"webhook": [{"name": "ops", "url": "https://h.example.org/", "categories": ["labour"]}]}, "alerts", tmp_path / "c.toml")
    config = parse_alerts(table)
    with pytest.raises(ConfigError) as info:
        check_categories(config, {"labor", "troops"}, tmp_path / "c.toml")
    assert "channel 'ops'" in str(info.value) and "did you mean 'labor'" in str(info.value)
    check_categories(config, {"labour"}, tmp_path / "c.toml")


def test_apprise_channel(tmp_path, monkeypatch):
    pytest.importorskip("apprise")
    monkeypatch.setenv("NW_TEST_APPRISE", "json://127.0.0.1:9/hook")
    config = load(tmp_path, '[[alerts.apprise]]\nname = "phone"\nurl_env = "NW_TEST_APPRISE"\n')
    assert config.channels[0].url == "json://127.0.0.1:9/hook" and "127.0.0.1" not in repr(config)
    message = error(tmp_path, '[[alerts.apprise]]\nname = "phone"\nurl = "nosuchservice://token"\n')
    assert "alerts.apprise[1] (phone).url" in message and "nosuchservice://" in message
