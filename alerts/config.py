"""Typed configuration of the [alerts] table and its channels (email, webhooks, Apprise).

Secrets are read from environment variables here, at load time, so a missing one stops the
program before anything is crawled; they are kept out of repr() and of every message.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from datetime import time
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

from newswatch.configreader import REQUIRED, Table
from newswatch.errors import ConfigError

EVENTS = ("article.matched", "story.updated", "source.failing", "source.recovered")
# story.updated (another outlet retold an announced story) is opt-in: by default a story is one alert.
DEFAULT_EVENTS = ("article.matched", "source.failing", "source.recovered")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DEFAULT_SMTP_PORT = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True, kw_only=True)
class ChannelConfig:
    """What every channel shares: its name, which alerts it takes, and how often it may speak."""

    name: str
    categories: tuple[str, ...] = ()  # empty: every category
    events: tuple[str, ...] = DEFAULT_EVENTS
    mode: str = "each"  # each | digest
    digest_at: time | None = None  # local time of day, with mode = "digest"
    max_per_hour: int | None = None  # beyond it, alerts are folded into one summary message
    timeout: float = 10.0  # seconds for each network operation

    @property
    def lease(self) -> float:
        """How long a claimed delivery stays reserved: a send makes a few round trips, each within `timeout`."""
        return 3 * self.timeout + 1

    def accepts(self, event: str, categories: tuple[str, ...]) -> bool:
        """Whether an alert of this event and these categories goes to this channel."""
        if event == "test":
            return True
        if event not in self.events:
            return False
        return not self.categories or not categories or any(c in self.categories for c in categories)


@dataclass(frozen=True, kw_only=True)
class EmailConfig(ChannelConfig):
    smtp_host: str
    smtp_port: int
    security: str  # starttls | tls | none
    sender: str  # the "from" key
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class WebhookConfig(ChannelConfig):
    url: str = field(repr=False)  # Slack and Discord hook URLs carry their token
    format: str = "json"  # json | slack | discord
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def target(self) -> str:
        """scheme://host[:port] only, safe to print."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@dataclass(frozen=True, kw_only=True)
class AppriseConfig(ChannelConfig):
    url: str = field(repr=False)  # Apprise URLs usually carry a token, often in the host part

    @property
    def target(self) -> str:
        """The service's scheme only, safe to print."""
        return self.url.split("://", 1)[0] + "://…"


@dataclass(frozen=True)
class AlertsConfig:
    per: str = "story"  # "story": one alert per story; "article": one per matching article
    max_age: float = 2 * 86400.0  # seconds an alert is retried before it is marked failed
    backoff: float = 30.0  # first retry delay; doubles with each attempt
    backoff_max: float = 1800.0
    channels: tuple[ChannelConfig, ...] = ()

    def channel(self, name: str) -> ChannelConfig:
        for channel in self.channels:
            if channel.name == name:
                return channel
        known = ", ".join(c.name for c in self.channels) or "none configured"
        raise ConfigError(f"no alert channel named {name!r} (channels: {known})")


def parse_alerts(t: Table) -> AlertsConfig:
    """Read [alerts]; raises ConfigError naming the channel and key at fault."""
    d = AlertsConfig()
    channels = [_email(e) for e in _email_tables(t)]
    channels += [_webhook(w) for w in t.tables("webhook")]
    channels += [_apprise(a) for a in t.tables("apprise")]
    names = [c.name for c in channels]
    for name in names:
        if names.count(name) > 1:
            raise t.error(None, f"channel name {name!r} is used twice; give each channel its own name")
    config = AlertsConfig(
        per=t.str("per", d.per, choices=("story", "article")),
        max_age=t.duration("max_age", "2d"),
        backoff=t.duration("backoff", "30s"),
        backoff_max=t.duration("backoff_max", "30m"),
        channels=tuple(channels),
    )
    if config.backoff <= 0 or config.backoff_max < config.backoff:
        raise t.error("backoff", "must be more than 0 and at most backoff_max")
    t.done()
    return config


def check_categories(alerts: AlertsConfig, known: set[str], file: Path) -> None:
    """Reject a channel filter naming a category that no rule produces (it would silence the channel)."""
    for channel in alerts.channels:
        for category in channel.categories:
            if category not in known:
                hint = difflib.get_close_matches(category, sorted(known), n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                listed = ", ".join(sorted(known)) or "none"
                raise ConfigError(
                    f"{file}: alerts: channel {channel.name!r}: categories: no rule has category "
                    f"{category!r}{suggestion}; categories in the rules: {listed}"
                )


def _email_tables(t: Table) -> list[Table]:
    """[alerts.email] for one mailbox set, or [[alerts.email]] for several."""
    if isinstance(t.data.get("email"), list):
        return t.tables("email")
    return [t.table("email")] if t.has("email") else []


def _common(t: Table, default_name: str | None = None) -> dict:
    """Read the keys every channel has; names the channel in later errors."""
    name = t.name(default_name)
    events = tuple(t.str_list("events", list(DEFAULT_EVENTS)))
    for event in events:
        if event not in EVENTS:
            raise t.error("events", f"unknown event {event!r}; events are {', '.join(EVENTS)}")
    categories = tuple(t.str_list("categories", []))
    if any(not c.strip() for c in categories):
        raise t.error("categories", "must not contain an empty name")
    mode = t.str("mode", "each", choices=("each", "digest"))
    digest_at = t.str("digest_at")
    max_per_hour = t.int("max_per_hour", None, minimum=1)
    if mode == "digest":
        digest_time = _time_of_day(t, "digest_at", digest_at or "08:00")
        if max_per_hour is not None:
            raise t.error("max_per_hour", 'only applies with mode = "each" (a digest is one message a day)')
    elif digest_at is not None:
        raise t.error("digest_at", 'is only used with mode = "digest"')
    timeout = t.duration("timeout", "10s")
    if timeout <= 0:
        raise t.error("timeout", "must be more than 0s")
    return dict(
        name=name,
        categories=categories,
        events=events,
        mode=mode,
        digest_at=digest_time if mode == "digest" else None,
        max_per_hour=max_per_hour,
        timeout=timeout,
    )


def _email(t: Table) -> EmailConfig:
    common = _common(t, default_name="email" if t.where == "alerts.email" else None)
    host = t.str("smtp_host", REQUIRED)
    if not host.strip() or _CONTROL.search(host) or " " in host:
        raise t.error("smtp_host", f"{host!r} is not a host name")
    security = t.str("security", "starttls", choices=tuple(_DEFAULT_SMTP_PORT))
    port = t.int("smtp_port", _DEFAULT_SMTP_PORT[security], minimum=1)
    if port > 65535:
        raise t.error("smtp_port", f"must be a TCP port (1-65535), got {port}")
    username = t.str("username")
    password_env = t.str("password_env")
    if (username is None) != (password_env is None):
        raise t.error("username" if username is None else "password_env", "username and password_env go together")
    to = tuple(_address(t, "to", a) for a in t.str_list("to", REQUIRED))
    if not to:
        raise t.error("to", "needs at least one address")
    config = EmailConfig(
        **common,
        smtp_host=host,
        smtp_port=port,
        security=security,
        sender=_address(t, "from", t.str("from", REQUIRED)),
        to=to,
        username=username,
        password=_secret(t, "password_env", password_env),
    )
    t.done()
    return config


def _webhook(t: Table) -> WebhookConfig:
    common = _common(t)
    secret_env = t.str("secret_env")
    config = WebhookConfig(
        **common,
        url=_url(t, ("http", "https")),
        format=t.str("format", "json", choices=("json", "slack", "discord")),
        secret=_secret(t, "secret_env", secret_env),
    )
    t.done()
    return config


def _apprise(t: Table) -> AppriseConfig:
    common = _common(t)
    url = _url(t, None)
    try:
        import apprise
    except ImportError:
        raise t.error(None, "needs the optional package apprise: pip install 'newswatch[apprise]'") from None
    if apprise.Apprise.instantiate(url) is None:
        scheme = url.split("://", 1)[0]
        raise t.error("url_env" if t.has("url_env") else "url", f"Apprise does not accept this {scheme}:// URL")
    config = AppriseConfig(**common, url=url)
    t.done()
    return config


def _url(t: Table, schemes: tuple[str, ...] | None) -> str:
    """`url`, or the URL held by the environment variable named by `url_env` (for URLs carrying a token)."""
    url, url_env = t.str("url"), t.str("url_env")
    if (url is None) == (url_env is None):
        raise t.error("url", "set exactly one of url or url_env")
    key = "url" if url is not None else "url_env"
    value = url if url is not None else _secret(t, "url_env", url_env)
    shown = repr(value) if key == "url" else f"the URL in ${url_env}"
    if _CONTROL.search(value) or " " in value.strip():
        raise t.error(key, f"{shown} contains spaces or control characters")
    value = value.strip()
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        raise t.error(key, f"{shown} has an invalid port") from None
    if schemes is not None and (parts.scheme not in schemes or not parts.hostname):
        raise t.error(key, f"{shown} is not an http(s) URL")
    if schemes is None and "://" not in value:
        raise t.error(key, f"{shown} is not an Apprise URL such as tgram://token/chat")
    return value


def _secret(t: Table, key: str, variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable, "")
    if not value:
        raise t.error(key, f"environment variable {variable} is not set (or is empty)")
    return value


def _address(t: Table, key: str, value: str) -> str:
    """A single mail address with optional display name, without anything a header could smuggle."""
    parsed = getaddresses([value])
    problem = _CONTROL.search(value) or len(parsed) != 1 or "@" not in parsed[0][1]
    if not problem:
        try:
            Address(display_name=parsed[0][0], addr_spec=parsed[0][1])
        except (ValueError, HeaderParseError, IndexError):
            problem = True
    if problem:
        raise t.error(key, f"{value!r} is not a valid email address")
    return value


def _time_of_day(t: Table, key: str, value: str) -> time:
    m = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", value.strip())
    if not m:
        raise t.error(key, f'expected a time of day as "HH:MM" (24-hour), got {value!r}')
    return time(int(m.group(1)), int(m.group(2)))
