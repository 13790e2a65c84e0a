"""Exponential backoff with jitter between retries, honouring Retry-After (Scrapy retries at once)."""

from __future__ import annotations

import asyncio
import random

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newswatch.retryafter import retry_after_seconds

MAX_RETRY_AFTER = 300.0  # seconds


class RetryBackoffMiddleware:
    """Delays a retried request by base · 2^(n-1) · jitter, or by the server's Retry-After."""

    def __init__(self, base: float):
        self.base = base

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RetryBackoffMiddleware":
        return cls(crawler.settings.getfloat("NEWSWATCH_RETRY_BACKOFF", 1.0))

    def process_response(self, request: Request, response: Response) -> Response:
        after = retry_after_seconds(response.headers.get(b"Retry-After"))
        if after is not None:
            # A longer Retry-After leaves the page to the next crawl rather than holding this one.
            request.meta["retry_after"] = min(after, MAX_RETRY_AFTER)  # RetryMiddleware copies meta into the retry request
        return response

    async def process_request(self, request: Request) -> None:
        attempt = request.meta.get("retry_times", 0)
        if attempt:
            delay = self.base * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            delay = max(delay, request.meta.get("retry_after", 0.0))
            await asyncio.sleep(delay)  # the asyncio reactor is Scrapy's default
        return None

