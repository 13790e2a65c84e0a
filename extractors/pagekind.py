"""Whether a page is an article, and if not, why. The reasons are short strings counted in crawl statistics:

no-content  trafilatura found no main text (empty page, script-only app, frameset)
video       a video page: og:type video.* with a short description, or an embedded player with less than
            min_words words around it (some sites mark every article video.*: a long text is an article)
listing     a list of links: section, tag, search and home pages (headline links, little running text)
static-page a page about the site, not news: og:type website and no publication date (about, contact, legal)
too-short   an article with fewer than min_words words of clean text (briefs, paywall stubs, error pages)
too-complex more than max_elements HTML elements: no news page is that big, and extracting one would take
            trafilatura minutes and hundreds of megabytes
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from extractors.body import Body
from extractors.metadata import PageMetadata

NO_CONTENT = "no-content"
VIDEO = "video"
LISTING = "listing"
STATIC_PAGE = "static-page"
TOO_SHORT = "too-short"
TOO_COMPLEX = "too-complex"

VIDEO_MAX_WORDS = 150  # a video description is a few sentences; a video.* page with more text is an article
LISTING_LINK_LINES = 5  # extracted text with at least this many lines that are headline links…
LISTING_LINK_SHARE = 0.4  # …making up this share of its lines is a list of teasers, not an article
LISTING_PAGE_LINKS = 3  # a short page with this many headline links and not marked og:type article is a listing
HEADLINE_WORDS = 4  # a link with this many words reads as a headline, not a menu entry or a bare URL
PLAYER = re.compile(r"youtube|youtu\.be|vimeo|dailymotion|jwplayer|brightcove|player", re.IGNORECASE)


def skip_reason(
    tree: HtmlElement, metadata: PageMetadata, body: Body | None, words: int, min_words: int
) -> str | None:
    """Why the page is not stored as an article, or None if it is one; `words` counts the clean text."""
    og_type = metadata.og_type or ""
    if body is None:
        return NO_CONTENT
    headlines = sum(1 for line in body.link_lines if len(line.split()) >= HEADLINE_WORDS)
    if headlines >= LISTING_LINK_LINES and headlines >= LISTING_LINK_SHARE * body.extracted_lines:
        return LISTING  # before the word count: teaser removal may have left a listing no text at all
    if words == 0:
        return NO_CONTENT
    if og_type.startswith("video") and words < VIDEO_MAX_WORDS:
        return VIDEO
    if words >= min_words:
        return STATIC_PAGE if og_type == "website" and metadata.published is None else None
    if _has_player(tree):
        return VIDEO
    if og_type != "article" and _headline_links(tree) >= LISTING_PAGE_LINKS:
        return LISTING
    return TOO_SHORT


def _has_player(tree: HtmlElement) -> bool:
    if tree.find(".//video") is not None:
        return True
    return any(PLAYER.search(frame.get("src", "")) for frame in tree.iter("iframe", "embed"))


def _headline_links(tree: HtmlElement) -> int:
    return sum(1 for a in tree.iter("a") if len(a.text_content().split()) >= HEADLINE_WORDS)
