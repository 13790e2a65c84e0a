"""robots.txt enforcement that also holds for requests queued while robots.txt is downloading,
fetched once per host and again when the copy is older than NEWSWATCH_ROBOTSTXT_TTL."""

from __future__ import annotations

import time

from twisted.internet.defer import Deferred

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's middleware, except that every request waiting for a host's robots.txt gets the parser.

    Scrapy shares one Deferred among all waiters; the first waiter's callback returns None, so the
    later waiters receive None and are let through unchecked. Scrapy also keeps a host's robots.txt
    for the life of the process; a long-lived engine fetches it again after a day (RFC 9309, 2.4).
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.ttl = crawler.settings.getfloat("NEWSWATCH_ROBOTSTXT_TTL", 86400.0)
        self._fetched: dict[str, float] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        now = time.monotonic()
        if netloc not in self._parsers or now - self._fetched.get(netloc, now) > self.ttl:
            self._parsers.pop(netloc, None)
            self._fetched[netloc] = now
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            mine: Deferred[RobotParser | None] = Deferred()
            pending.addBoth(lambda parser: (mine.callback(parser), parser)[1])
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
