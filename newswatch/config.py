"""Load config.toml once into typed, validated objects; nothing downstream reads raw dicts.

Every default is set here, in one place, and documented in the README's config reference.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from alerts.config import AlertsConfig, check_categories, parse_alerts
from newswatch.configreader import HTTP_URL, Table, format_duration, read_toml
from newswatch.crontab import cron_trigger
from newswatch.errors import ConfigError
from newswatch.sourcefile import DeclaredSource, declared_in, read_sources_file
from newswatch.rules.language import Rule, load_default_rules, parse_rules, parse_rules_file

DEFAULT_USER_AGENT = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"


# Not globally reachable (IANA special-purpose registries): loopback, private, shared, link-local (the
# cloud metadata address 169.254.169.254), documentation, benchmarking, multicast and reserved ranges.
PRIVATE_NETWORKS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/3", "::/127", "64:ff9b::/96", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7",
    "fe80::/10", "ff00::/8",
)


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
    max_inflated_bytes: int = 20_000_000  # a gzip-compressed sitemap, once inflated
    max_links_per_listing: int = 50_000  # entries read from one feed, sitemap or section page
    max_sitemap_depth: int = 5  # sitemap indexes below a configured sitemap
    max_redirects: int = 10
    max_pages_per_source: int = 2_000
    http_cache: bool = False
    extraction_workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # 0: no pool
    extraction_timeout: float = 5.0  # seconds for one page; a page over it is skipped as extraction-timeout
    poll_delay: float = 0.0  # seconds between polls of one host (feeds, sitemaps, section pages)
    robots_txt_ttl: float = 86400.0
    dns_ttl: float = 3600.0
    allow_private_addresses: bool = False  # discovered links may go to PRIVATE_NETWORKS from any source
    private_networks: tuple[str, ...] = PRIVATE_NETWORKS


@dataclass(frozen=True)
class ExtractionConfig:
    boilerplate_patterns: tuple[str, ...] = ()  # extra regular expressions, added to the defaults
    default_boilerplate: bool = True  # false drops the built-in patterns
    min_words: int = 80
    max_elements: int = 50_000  # HTML elements; the largest of 265 real pages has 9,888
    structural_teasers: bool = True  # teaser blocks, form boxes and contact lines found by page structure
    recall: bool = True  # sub-headings and quotes precision mode drops, and the body's other chunks


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
    # Labels from OPML folders and categories or `tags`; not "categories", which name what rules flag.
    tags: tuple[str, ...] = ()
    template_memory: bool = True  # learn the lines and slots of this source's template, and drop them from its pages
    origin: Path | None = field(default=None, compare=False)  # the file that declares it, for `sources list`

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + self.pages

    @property
    def schedule(self) -> str:
        """ "every 30m" or "cron 0 6 * * *", as `sources list` and `status` show it."""
        return f"cron {self.cron}" if self.cron else f"every {format_duration(self.every)}"

    def tagged(self, tag: str) -> bool:
        """True if the source has `tag` or a tag below it: "Korea" covers the folder path "Korea/Analysis"."""
        return any(t == tag or t.startswith(f"{tag}/") for t in self.tags)


@dataclass(frozen=True)
class SourceDefaults:
    """[source_defaults]: the schedule and state of every source that does not set its own."""

    every: float = 1800.0  # seconds
    cron: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class StoriesConfig:
    window: float = 7 * 86400.0  # seconds within which retellings join one story
    threshold: float = 0.5  # estimated Jaccard similarity of text shingles that joins a story
    shared_phrases: int = 3  # winnowed phrase fingerprints two outlets' articles share when they retell one report
    evidence: bool = True  # false: group only near-duplicates and shared phrases of one language, as before 2026-12
    retelling_score: float = 0.8  # combined evidence (quotes, figures, sources, names, headline) that joins a story
    entities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # more names: canonical -> aliases
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # more cited outlets and agencies


@dataclass(frozen=True)
class DaemonConfig:
    jitter: float | None = None  # seconds; None: a tenth of each source's interval, at most 60 s (first runs; every cron run)
    crawl_timeout: float = 900.0
    shutdown_timeout: float = 30.0
    crawl_workers: int = 1  # long-lived crawl engine processes
    engine_stall_timeout: float = 60.0  # an engine silent for longer is killed and restarted
    engine_start_timeout: float = 120.0  # an engine that has not beaten this long after its start likewise
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
    sources_file: Path | None = None

    def source(self, name: str) -> SourceConfig:
        found = self._by_name.get(name)
        if found is not None:
            return found
        names = list(self._by_name)
        if len(names) <= LIST_UNKNOWN_UP_TO:
            raise ConfigError(f"{self.path}: no source named {name!r} (sources: {', '.join(names) or 'none'})")
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"{self.path}: no source named {name!r}{suggestion} ({len(names)} sources: see `newswatch sources list`)"
        )

    def declared_in(self, source: SourceConfig) -> str:
        """The file that declares `source`, relative to config.toml's folder: "config.toml", "feeds/all.opml"."""
        if source.origin is None:
            return "-"
        return Path(os.path.relpath(source.origin, self.path.parent)).as_posix()

    @cached_property
    def _by_name(self) -> dict[str, SourceConfig]:
        return {source.name: source for source in self.sources}


LIST_UNKNOWN_UP_TO = 20  # an unknown source's error lists the known ones when there are no more than this


def config_path(explicit: str | os.PathLike | None) -> Path:
    """--config if given, else $NEWSWATCH_CONFIG, else ./config.toml."""
    return Path(explicit or os.environ.get("NEWSWATCH_CONFIG") or "config.toml")


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a config file; raises ConfigError naming the file, line or key at fault."""
    path = config_path(path)
    data = read_toml(path, "config file", " (pass --config PATH or set NEWSWATCH_CONFIG)")
    return parse_config(data, path)


def parse_config(data: dict, path: Path) -> Config:
    root = Table(data, "", path)
    base = path.parent
    declared = declared_in(root)
    sources_file = root.str("sources_file")
    if sources_file is not None:
        declared += read_sources_file(base / sources_file).sources
    config = Config(
        path=path,
        storage=_storage(root.table("storage"), base),
        crawl=_crawl(root.table("crawl")),
        extraction=_extraction(root.table("extraction")),
        sources=parse_sources(declared, _source_defaults(root.table("source_defaults"))),
        rules=_rules(root, base),
        alerts=parse_alerts(root.table("alerts")),
        stories=_stories(root.table("stories")),
        daemon=_daemon(root.table("daemon")),
        sources_file=None if sources_file is None else base / sources_file,
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
        max_inflated_bytes=t.int("max_inflated_bytes", d.max_inflated_bytes, minimum=1024),
        max_links_per_listing=t.int("max_links_per_listing", d.max_links_per_listing, minimum=1),
        max_sitemap_depth=t.int("max_sitemap_depth", d.max_sitemap_depth, minimum=0),
        max_redirects=t.int("max_redirects", d.max_redirects, minimum=0),
        max_pages_per_source=t.int("max_pages_per_source", d.max_pages_per_source, minimum=1),
        http_cache=t.bool("http_cache", d.http_cache),
        extraction_workers=t.int("extraction_workers", d.extraction_workers, minimum=0),
        extraction_timeout=t.duration("extraction_timeout", "5s"),
        poll_delay=t.number("poll_delay", d.poll_delay, minimum=0),
        robots_txt_ttl=t.duration("robots_txt_ttl", "1d"),
        dns_ttl=t.duration("dns_ttl", "1h"),
        allow_private_addresses=t.bool("allow_private_addresses", d.allow_private_addresses),
        private_networks=tuple(t.str_list("private_networks", list(d.private_networks))),
    )
    for i, network in enumerate(c.private_networks):
        try:
            ipaddress.ip_network(network)
        except ValueError as exc:
            raise t.error(f"private_networks[{i + 1}]", f"not an address range: {exc}") from None
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
        max_elements=t.int("max_elements", d.max_elements, minimum=100),
        structural_teasers=t.bool("structural_teasers", d.structural_teasers),
        recall=t.bool("recall", d.recall),
    )
    t.done()
    return c


def parse_sources(declared: tuple[DeclaredSource, ...], defaults: SourceDefaults) -> tuple[SourceConfig, ...]:
    """Validate declared sources, from config.toml and the sources file; a name may be used once in all."""
    sources: list[SourceConfig] = []
    seen: dict[str, str] = {}  # name -> where it was declared
    for declared_source in declared:
        source = _source(declared_source.table(), defaults, declared_source.file)
        first = seen.setdefault(source.name, declared_source.location)
        if first != declared_source.location:
            raise ConfigError(
                f"{declared_source.location}: source name {source.name!r} is used twice: first at {first}"
            )
        sources.append(source)
    return tuple(sources)


def _source(t: Table, defaults: SourceDefaults, origin: Path) -> SourceConfig:
    name = t.name()
    urls = {kind: tuple(t.str_list(kind, [])) for kind in ("feeds", "sitemaps", "pages")}
    for kind, values in urls.items():
        for url in values:
            if not HTTP_URL.match(url):
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
    cron, every = _cron(t), _every(t, None)
    if cron is None and every is None:  # a source that sets either has its own schedule
        cron = defaults.cron
    source = SourceConfig(
        name=name,
        feeds=urls["feeds"],
        sitemaps=urls["sitemaps"],
        pages=urls["pages"],
        follow=follow_re,
        every=defaults.every if every is None else every,
        cron=cron,
        enabled=t.bool("enabled", defaults.enabled),
        tags=_tags(t),
        template_memory=t.bool("template_memory", SourceConfig.template_memory),
        origin=origin,
    )
    t.done()
    return source


def _tags(t: Table) -> tuple[str, ...]:
    tags = tuple(t.str_list("tags", []))
    if any(not tag.strip() for tag in tags):
        raise t.error("tags", "must not contain an empty tag")
    return tags


def _source_defaults(t: Table) -> SourceDefaults:
    d = SourceDefaults()
    defaults = SourceDefaults(every=_every(t, "30m"), cron=_cron(t), enabled=t.bool("enabled", d.enabled))
    t.done()
    return defaults


def _every(t: Table, default: str | None) -> float | None:
    every = t.duration("every", default)
    if every is not None and every < 1:
        raise t.error("every", "must be at least 1s")
    return every


def _cron(t: Table) -> str | None:
    cron = t.str("cron")
    problem = None if cron is None else _cron_problem(cron)
    if problem:
        raise t.error("cron", f"invalid cron expression {cron!r}: {problem}")
    return cron


@cache
def _cron_problem(cron: str) -> str | None:
    """Why `cron` is invalid, or None; cached, as thousands of sources share a few expressions."""
    try:
        cron_trigger(cron)
    except ValueError as exc:
        return str(exc)
    return None


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
    for name, count in Counter(r.name for r in rules).items():
        if count > 1:
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
        evidence=t.bool("evidence", d.evidence),
        retelling_score=t.number("retelling_score", d.retelling_score, minimum=0.1),
        entities=_aliases(t.table("entities")),
        sources=_aliases(t.table("sources")),
    )
    t.done()
    return c


def _aliases(t: Table) -> dict[str, tuple[str, ...]]:
    """[stories.entities] or [stories.sources]: each key a name, its value the other names it goes by."""
    out = {}
    for name in list(t.data):
        if not name.strip():
            raise t.error(name, "a name must not be empty")
        out[name] = tuple(t.str_list(name))
    t.done()
    return out


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
        engine_start_timeout=t.duration("engine_start_timeout", "2m"),
        failing_after=t.int("failing_after", d.failing_after, minimum=1),
        retry_every=t.duration("retry_every", "1m"),
        metrics_port=port,
        metrics_host=t.str("metrics_host", d.metrics_host),
    )
    t.done()
    return c
