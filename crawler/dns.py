"""Scrapy's caching DNS resolver with an expiry, so a daemon that runs for weeks follows a site that moves."""

from __future__ import annotations

import time
from typing import Any, Sequence

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet.defer import Deferred


class ExpiringResolver(CachingThreadedResolver):
    """Looks a host up again once its cached address is older than NEWSWATCH_DNS_TTL seconds."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> "ExpiringResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.ttl = crawler.settings.getfloat("NEWSWATCH_DNS_TTL", 3600.0)
        resolver.cached_at = {}
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        forget_stale(self.cached_at, name, self.ttl, time.monotonic())
        if name not in dnscache:
            self.cached_at[name] = time.monotonic()
        return super().getHostByName(name, timeout)


def forget_stale(cached_at: dict[str, float], name: str, ttl: float, now: float) -> None:
    """Drop `name` from Scrapy's cache when it was cached more than `ttl` seconds ago."""
    if now - cached_at.get(name, now) > ttl:
        dnscache.pop(name, None)
        del cached_at[name]
