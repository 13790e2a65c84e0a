"""Scrapy settings built from config.toml: politeness, limits and our components, switched on here."""

from __future__ import annotations

from typing import Any

from newswatch.config import Config

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.runs.EndedRunMiddleware": 50,
    # Before robots.txt: a refused link must not cause a robots.txt request to its host either.
    "crawler.middlewares.destinations.DestinationMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.StrictRobotsTxtMiddleware": 100,
    # Above RetryMiddleware (550): sees a response's Retry-After first, and delays the retry it makes.
    "crawler.middlewares.backoff.RetryBackoffMiddleware": 560,
    "crawler.middlewares.conditional.ConditionalGetMiddleware": 580,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractionPipeline": 300,
    "crawler.pipelines.StoragePipeline": 800,
}


def scrapy_settings(config: Config, log_level: str = "WARNING") -> dict[str, Any]:
    """The Scrapy settings for one crawl; every politeness knob comes from [crawl]."""
    crawl = config.crawl
    return {
        "BOT_NAME": "newswatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "CONCURRENT_REQUESTS": crawl.max_concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.max_concurrency_per_domain,
        # An article response yields one item; Scrapy's default of 100 starts 100 tasks per response.
        "CONCURRENT_ITEMS": 4,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.max_concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "RETRY_TIMES": crawl.retries,
        "NEWSWATCH_RETRY_BACKOFF": 1.0,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "HTTPCACHE_ENABLED": crawl.http_cache,
        "HTTPCACHE_DIR": str(config.storage.database.parent / "httpcache"),
        # Polls (feeds, sitemaps, section pages) keep the per-domain concurrency but skip the delay and the
        # throttle: a conditional request answered 304 costs the site next to nothing (crawler/downloader.py).
        "NEWSWATCH_POLL_DELAY": crawl.poll_delay,
        "NEWSWATCH_ROBOTSTXT_TTL": crawl.robots_txt_ttl,
        "NEWSWATCH_DNS_TTL": crawl.dns_ttl,
        "TWISTED_DNS_RESOLVER": "crawler.dns.ExpiringResolver",
        "DNSCACHE_SIZE": 100_000,
        "NEWSWATCH_PRIVATE_NETWORKS": list(crawl.private_networks),
        "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": crawl.allow_private_addresses,
        # Only http and https, whatever a feed or a redirect says (crawler/middlewares/destinations.py
        # refuses the others first; without their handlers, nothing could read a local file anyway).
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        "URLLENGTH_LIMIT": 2083,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control: an HTTP server that runs Python code sent to it, its token in a
        # file under the user's home. An unattended crawler must not listen for code; off, it also
        # spares the import of aiohttp.web (0.17 s) in every crawl.
        "EXTENSIONS": {"scrapy.extensions.remote_control.RemoteControl": None},
        "LOG_LEVEL": log_level,
        "DOWNLOADER": "crawler.downloader.SlotSafeDownloader",
        # Thousands of hosts in one crawl: the next request goes to the least busy host with room for it,
        # so one slow or backed-off host cannot fill the global concurrency (Scrapy's broad-crawl queue).
        "SCHEDULER_PRIORITY_QUEUE": "crawler.queues.HostFairPriorityQueue",
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "ITEM_PIPELINES": ITEM_PIPELINES,
    }
