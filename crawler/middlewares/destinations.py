"""Where a request may go: http and https only, and into internal networks only when that is allowed.

A feed on a public site must not make newswatch read a local file or fetch an internal service (the
cloud metadata address, a router, a database's HTTP port) and store the answer as an article. The
check is on the address the host resolves to, through the crawl's own DNS cache, so the download
that follows connects to the address that was checked. Redirects come back through here.
"""

from __future__ import annotations

import ipaddress

from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from crawler.errors import BlockedRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("http", "https")


class DestinationMiddleware:
    """Refuses other schemes (`bad-link`) and discovered links into private networks (`private-address`).

    A source whose own configured URLs are on a private address (a local test site, an intranet
    feed) may follow its links there; so may every source with NEWSWATCH_ALLOW_PRIVATE_ADDRESSES.
    """

    def __init__(self, networks: list[Network], allow_private: bool):
        self.networks = networks
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DestinationMiddleware":
        settings = crawler.settings
        networks = [ipaddress.ip_network(n) for n in settings.getlist("NEWSWATCH_PRIVATE_NETWORKS")]
        return cls(networks, settings.getbool("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"))

    async def process_request(self, request: Request) -> None:
        url = urlparse_cached(request)
        if url.scheme not in SCHEMES:
            raise BlockedRequest("bad-link", f"{request.url}: only http and https links are fetched")
        run = request.meta.get("run")
        if run is None or self.allow_private:  # robots.txt: its host was checked for the request that wants it
            return None
        address = await self._address(url.hostname or "")
        if not self.is_private(address):
            return None
        if request.meta.get("start") and not request.meta.get("redirect_urls"):
            run.private_ok = True  # the user configured this address for this source
            return None
        if run.private_ok:
            return None
        raise BlockedRequest("private-address", f"{request.url}: {address} is an internal address ([crawl] allow_private_addresses)")

    def is_private(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    async def _address(self, host: str) -> Address:
        try:
            return ipaddress.ip_address(host)
        except ValueError:
            pass
        from twisted.internet import reactor  # the one Scrapy installed, with its caching resolver

        try:
            resolved = await maybe_deferred_to_future(reactor.resolve(host))
        except Exception as exc:
            raise CannotResolveHostError(f"{host}: {exc}") from None
        return ipaddress.ip_address(resolved)
