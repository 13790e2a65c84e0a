"""robots.txt enforcement that also holds for requests queued while robots.txt is downloading."""

from __future__ import annotations

from twisted.internet.defer import Deferred

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's middleware, except that every request waiting for a host's robots.txt gets the parser.

    Scrapy shares one Deferred among all waiters; the first waiter's callback returns None, so the
    later waiters receive None and are let through unchecked.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            mine: Deferred[RobotParser | None] = Deferred()
            pending.addBoth(lambda parser: (mine.callback(parser), parser)[1])
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
