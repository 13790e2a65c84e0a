"""Child sitemaps and page links from a sitemap or sitemap index, parsed by Scrapy's own Sitemap class."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import islice

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.spiders.charrefs import without_bad_charrefs
from newswatch.urls import absolute


class MalformedSitemap(ValueError):
    """The body is not a sitemap."""


class SitemapTooLarge(ValueError):
    """A gzip-compressed sitemap inflates past the limit (a decompression bomb, or just too big)."""


@dataclass(frozen=True)
class ListingLinks:
    """What a listing yields: a sitemap's children or pages, a feed's or section page's pages."""

    sitemaps: list[str]  # children of a sitemap index
    pages: list[str]


def sitemap_links(body: bytes, base_url: str, max_links: int, max_bytes: int) -> ListingLinks:
    """Split a sitemap body into child sitemaps and page URLs, `max_links` + 1 at most (the caller tells
    there were more); gzip is unpacked up to `max_bytes` (SitemapTooLarge beyond)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError:  # what gunzip raises past max_size (a broken gzip raises OSError)
            raise SitemapTooLarge(f"more than {max_bytes} bytes once inflated") from None
        except (OSError, EOFError, struct.error) as exc:
            raise MalformedSitemap(f"not a readable gzip file: {exc or type(exc).__name__}") from None
    try:
        sitemap = Sitemap(without_bad_charrefs(body))  # lxml's iterparse: streamed, no entity resolved, no DTD fetched
        if sitemap.type not in ("sitemapindex", "urlset"):
            raise MalformedSitemap(f"not a sitemap (root element {sitemap.type!r})")
        entries = (entry["loc"].strip() for entry in sitemap if entry.get("loc"))
        locs = [absolute(base_url, loc) for loc in islice(entries, max_links + 1)]
    except MalformedSitemap:
        raise
    except Exception as exc:  # lxml raises several types on garbage, also halfway through
        raise MalformedSitemap(f"not a readable sitemap: {exc}") from None
    if sitemap.type == "sitemapindex":
        return ListingLinks(sitemaps=locs, pages=[])
    return ListingLinks(sitemaps=[], pages=locs)
