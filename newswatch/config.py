"""Load config.toml once into typed, validated objects; nothing downstream reads raw dicts.

Every default is set here, in one place, and documented in the README's config reference.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from alerts.config import AlertsConfig, check_categories, parse_alerts
from newswatch.configreader import Table
from newswatch.crontab import cron_trigger
from newswatch.errors import ConfigError
from newswatch.rules.language import Rule, load_default_rules, parse_rules, parse_rules_file

DEFAULT_USER_AGENT = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"


@dataclass(frozen=True)
class StorageConfig:
    database: Path


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = DEFAULT_USER_AGENT
    obey_robots_txt: bool = True
    max_concurrency: int = 16
    max_concurrency_per_domain: int = 2
    download_delay: float = 0.5
    autothrottle: bool = True
    timeout: float = 30.0
    retries: int = 2
    max_page_bytes: int = 5_000_000
    max_redirects: int = 10
    max_pages_per_source: int = 2_000
    http_cache: bool = False
    extraction_workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # 0: no pool
    poll_delay: float = 0.0  # seconds between polls of one host (feeds, sitemaps, section pages)
    robots_txt_ttl: float = 86400.0
    dns_ttl: float = 3600.0


@dataclass(frozen=True)
class ExtractionConfig:
    boilerplate_patterns: tuple[str, ...] = ()  # extra regular expressions, added to the defaults
    default_boilerplate: bool = True  # false drops the built-in patterns
    min_words: int = 80


@dataclass(frozen=True)
class SourceConfig:
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    follow: re.Pattern[str] | None = None
    every: float = 1800.0  # seconds
    cron: str | None = None
    enabled: bool = True

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + self.pages


@dataclass(frozen=True)
class StoriesConfig:
    window: float = 7 * 86400.0  # seconds within which retellings join one story
    threshold: float = 0.5  # estimated Jaccard similarity of text shingles that joins a story
    shared_phrases: int = 3  # winnowed phrase fingerprints two outlets' articles share when they retell one report


@dataclass(frozen=True)
class DaemonConfig:
    jitter: float | None = None  # seconds; None: a tenth of each source's interval, at most 60 s
    crawl_timeout: float = 900.0
    shutdown_timeout: float = 30.0
    crawl_workers: int = 1  # long-lived crawl engine processes
    engine_stall_timeout: float = 60.0  # an engine silent for longer is killed and restarted
    failing_after: int = 3
    retry_every: float = 60.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"


@dataclass(frozen=True)
class Config:
    path: Path
    storage: StorageConfig
    crawl: CrawlConfig
    extraction: ExtractionConfig
    sources: tuple[SourceConfig, ...]
    rules: tuple[Rule, ...]
    alerts: AlertsConfig
    stories: StoriesConfig
    daemon: DaemonConfig

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (sources: {known})")


def config_path(explicit: str | os.PathLike | None) -> Path:
    """--config if given, else $NEWSWATCH_CONFIG, else ./config.toml."""
    return Path(explicit or os.environ.get("NEWSWATCH_CONFIG") or "config.toml")


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a config file; raises ConfigError naming the file, line or key at fault."""
    path = config_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config PATH or set NEWSWATCH_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict, path: Path) -> Config:
    root = Table(data, "", path)
    base = path.parent
    config = Config(
        path=path,
        storage=_storage(root.table("storage"), base),
        crawl=_crawl(root.table("crawl")),
        extraction=_extraction(root.table("extraction")),
        sources=_sources(root),
        rules=_rules(root, base),
        alerts=parse_alerts(root.table("alerts")),
        stories=_stories(root.table("stories")),
        daemon=_daemon(root.table("daemon")),
    )
    root.done()
    check_categories(config.alerts, {rule.category for rule in config.rules}, path)
    return config


def _storage(t: Table, base: Path) -> StorageConfig:
    database = base / t.str("database", "newswatch.db")
    t.done()
    return StorageConfig(database=database)


def _crawl(t: Table) -> CrawlConfig:
    d = CrawlConfig()
    c = CrawlConfig(
        user_agent=t.str("user_agent", d.user_agent),
        obey_robots_txt=t.bool("obey_robots_txt", d.obey_robots_txt),
        max_concurrency=t.int("max_concurrency", d.max_concurrency, minimum=1),
        max_concurrency_per_domain=t.int("max_concurrency_per_domain", d.max_concurrency_per_domain, minimum=1),
        download_delay=t.number("download_delay", d.download_delay, minimum=0),
        autothrottle=t.bool("autothrottle", d.autothrottle),
        timeout=t.duration("timeout", "30s"),
        retries=t.int("retries", d.retries, minimum=0),
        max_page_bytes=t.int("max_page_bytes", d.max_page_bytes, minimum=1024),
        max_redirects=t.int("max_redirects", d.max_redirects, minimum=0),
        max_pages_per_source=t.int("max_pages_per_source", d.max_pages_per_source, minimum=1),
        http_cache=t.bool("http_cache", d.http_cache),
        extraction_workers=t.int("extraction_workers", d.extraction_workers, minimum=0),
        poll_delay=t.number("poll_delay", d.poll_delay, minimum=0),
        robots_txt_ttl=t.duration("robots_txt_ttl", "1d"),
        dns_ttl=t.duration("dns_ttl", "1h"),
    )
    if not c.user_agent.strip():
        raise t.error("user_agent", "must not be empty: sites need to know who is crawling")
    t.done()
    return c


def _extraction(t: Table) -> ExtractionConfig:
    d = ExtractionConfig()
    patterns = tuple(t.str_list("boilerplate_patterns", []))
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise t.error(f"boilerplate_patterns[{i + 1}]", f"invalid regular expression {pattern!r}: {exc}") from None
    c = ExtractionConfig(
        boilerplate_patterns=patterns,
        default_boilerplate=t.bool("default_boilerplate", d.default_boilerplate),
        min_words=t.int("min_words", d.min_words, minimum=0),
    )
    t.done()
    return c


def _sources(root: Table) -> tuple[SourceConfig, ...]:
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for t in root.tables("sources"):
        name = t.name()
        if name in seen:
            raise t.error("name", f"source name {name!r} is used twice")
        seen.add(name)
        urls = {kind: tuple(t.str_list(kind, [])) for kind in ("feeds", "sitemaps", "pages")}
        for kind, values in urls.items():
            for url in values:
                if not re.match(r"^https?://[^/\s]+", url):
                    raise t.error(kind, f"{url!r} is not an http(s) URL")
        if not any(urls.values()):
            raise t.error(None, "needs at least one of feeds, sitemaps or pages")
        follow = t.str("follow")
        try:
            follow_re = re.compile(follow) if follow else None
        except re.error as exc:
            raise t.error("follow", f"invalid regular expression {follow!r}: {exc}") from None
        if urls["pages"] and follow_re is None:
            raise t.error("follow", "is required with pages: a regular expression matching article links")
        cron = t.str("cron")
        if cron is not None:
            _check_cron(t, cron)
        every = t.duration("every", "30m")
        if every < 1:
            raise t.error("every", "must be at least 1s")
        sources.append(
            SourceConfig(
                name=name,
                feeds=urls["feeds"],
                sitemaps=urls["sitemaps"],
                pages=urls["pages"],
                follow=follow_re,
                every=every,
                cron=cron,
                enabled=t.bool("enabled", True),
            )
        )
        t.done()
    return tuple(sources)


def _check_cron(t: Table, cron: str) -> None:
    try:
        cron_trigger(cron)
    except ValueError as exc:
        raise t.error("cron", f"invalid cron expression {cron!r}: {exc}") from None


def _rules(root: Table, base: Path) -> tuple[Rule, ...]:
    rules_file = root.str("rules_file")
    has_inline = root.has("rules")
    inline = parse_rules(root.tables("rules"), root.str_list("categories", []), root.table("term_lists"))
    if rules_file is not None:
        file_rules = parse_rules_file(base / rules_file)
        rules = file_rules + (inline if has_inline else ())
    elif has_inline:
        rules = inline
    else:
        rules = load_default_rules()
    names = [r.name for r in rules]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{root.file}: rules: rule name {name!r} is used twice")
    return rules


def _stories(t: Table) -> StoriesConfig:
    d = StoriesConfig()
    threshold = t.number("threshold", d.threshold, minimum=0.05)
    if threshold > 1:
        raise t.error("threshold", f"must be between 0.05 and 1, got {threshold}")
    c = StoriesConfig(
        window=t.duration("window", "7d"),
        threshold=threshold,
        shared_phrases=t.int("shared_phrases", d.shared_phrases, minimum=1),
    )
    t.done()
    return c


def _daemon(t: Table) -> DaemonConfig:
    d = DaemonConfig()
    port = t.int("metrics_port", None, minimum=0)
    if port is not None and port > 65535:
        raise t.error("metrics_port", f"must be a TCP port (0-65535), got {port}")
    c = DaemonConfig(
        jitter=t.duration("jitter", None),
        crawl_timeout=t.duration("crawl_timeout", "15m"),
        shutdown_timeout=t.duration("shutdown_timeout", "30s"),
        crawl_workers=t.int("crawl_workers", d.crawl_workers, minimum=1),
        engine_stall_timeout=t.duration("engine_stall_timeout", "60s"),
        failing_after=t.int("failing_after", d.failing_after, minimum=1),
        retry_every=t.duration("retry_every", "1m"),
        metrics_port=port,
        metrics_host=t.str("metrics_host", d.metrics_host),
    )
    t.done()
    return c
