"""Article links from an RSS 0.9x/1.0/2.0 or Atom feed, parsed by feedparser."""

from __future__ import annotations

import feedparser

from crawler.spiders.charrefs import without_bad_charrefs
from newswatch.urls import absolute


class MalformedFeed(ValueError):
    """The body is not a feed feedparser can read."""


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Entry links in feed order; raises MalformedFeed when nothing usable is found."""
    parsed = feedparser.parse(without_bad_charrefs(body), response_headers={"content-location": base_url})
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (l.get("href") for l in entry.get("links", []) if l.get("rel", "alternate") == "alternate"), None
        )
        if link:
            links.append(absolute(base_url, link.strip()))
    if not links and (_broken(parsed) or not parsed.get("version")):
        reason = parsed.get("bozo_exception") if _broken(parsed) else "no feed entries"
        raise MalformedFeed(f"not a readable feed: {reason}")
    return links


def _broken(parsed: feedparser.FeedParserDict) -> bool:
    """A real parse error; a feed without entries served with a missing or odd Content-Type is only empty."""
    benign = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
    return bool(parsed.bozo) and not isinstance(parsed.get("bozo_exception"), benign)
