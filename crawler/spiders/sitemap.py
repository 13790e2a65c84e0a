"""Child sitemaps and page links from a sitemap or sitemap index, parsed by Scrapy's own Sitemap class."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap


class MalformedSitemap(ValueError):
    """The body is not a sitemap."""


@dataclass(frozen=True)
class SitemapLinks:
    sitemaps: list[str]  # children of a sitemap index
    pages: list[str]


def sitemap_links(body: bytes, base_url: str) -> SitemapLinks:
    """Split a sitemap body into child sitemaps and page URLs; gzip is unpacked."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    try:
        sitemap = Sitemap(body)
    except Exception as exc:  # lxml raises several types on garbage
        raise MalformedSitemap(f"not a readable sitemap: {exc}") from None
    if sitemap.type not in ("sitemapindex", "urlset"):
        raise MalformedSitemap(f"not a sitemap (root element {sitemap.type!r})")
    locs = [urljoin(base_url, entry["loc"].strip()) for entry in sitemap if entry.get("loc")]
    if sitemap.type == "sitemapindex":
        return SitemapLinks(sitemaps=locs, pages=[])
    return SitemapLinks(sitemaps=[], pages=locs)
