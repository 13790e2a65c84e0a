"""Child sitemaps and page links from a sitemap or sitemap index, parsed by Scrapy's own Sitemap class."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from urllib.parse import urljoin

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap


class MalformedSitemap(ValueError):
    """The body is not a sitemap."""


class SitemapTooLarge(ValueError):
    """A gzip-compressed sitemap inflates past the limit (a decompression bomb, or just too big)."""


@dataclass(frozen=True)
class SitemapLinks:
    sitemaps: list[str]  # children of a sitemap index
    pages: list[str]


def sitemap_links(body: bytes, base_url: str, max_links: int, max_bytes: int) -> SitemapLinks:
    """Split a sitemap body into child sitemaps and page URLs, `max_links` + 1 at most (the caller tells
    there were more); gzip is unpacked up to `max_bytes` (SitemapTooLarge beyond)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError:  # what gunzip raises past max_size (a broken gzip raises OSError)
            raise SitemapTooLarge(f"more than {max_bytes} bytes once inflated") from None
        except OSError as exc:
            raise MalformedSitemap(f"not a readable gzip file: {exc}") from None
    try:
        sitemap = Sitemap(body)  # lxml's iterparse: streamed, entities not resolved, no DTD fetched
    except Exception as exc:  # lxml raises several types on garbage
        raise MalformedSitemap(f"not a readable sitemap: {exc}") from None
    if sitemap.type not in ("sitemapindex", "urlset"):
        raise MalformedSitemap(f"not a sitemap (root element {sitemap.type!r})")
    entries = (entry["loc"].strip() for entry in sitemap if entry.get("loc"))
    locs = [urljoin(base_url, loc) for loc in islice(entries, max_links + 1)]
    if sitemap.type == "sitemapindex":
        return SitemapLinks(sitemaps=locs, pages=[])
    return SitemapLinks(sitemaps=[], pages=locs)
