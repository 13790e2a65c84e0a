"""Conditional GET for feeds, sitemaps and section pages: send the validators stored for the URL."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.http import Request


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since to requests marked `conditional` in their meta."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConditionalGetMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional"):
            return None
        state = self.crawler.spider.storage.url_state(request.url)
        if state and state.get("etag"):
            request.headers.setdefault("If-None-Match", state["etag"])
        if state and state.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", state["last_modified"])
        return None
