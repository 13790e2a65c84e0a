"""Page metadata from the parsed HTML: title, author, publication time, canonical URL, declared language, og:type.

Read from the <head> tags and JSON-LD that news sites publish for search engines; htmldate finds the date.
trafilatura's own extract_metadata is not used: it also hunts categories, tags, licence and bylines in
the page body, which costs about a third of the extraction time for fields we do not keep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement

from newswatch.urls import absolute

ISO_WITH_OFFSET = "%Y-%m-%dT%H:%M:%S%z"
MAX_AUTHOR_CHARS = 200
BYLINE_MAX_WORDS = 5  # longer byline elements also hold dates, bios or "Print this article"
# Byline markup, looked for only when no <meta> or JSON-LD names the author (one scan of the page).
BYLINES = etree.XPath(
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'byline') or contains(@class, 'author-name')]"
)
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_LANG = re.compile(r"^([a-z]{2})(?:[-_].*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    titles: tuple[str, ...] = ()  # every title the page shows or declares (og:title, <h1>, <title>…), best first
    author: str | None = None
    published: datetime | None = None
    canonical_url: str | None = None  # absolute, as declared by the page
    language: str | None = None  # ISO 639-1 from <html lang>, which templates often get wrong
    og_type: str | None = None


def read_metadata(tree: HtmlElement, url: str) -> PageMetadata:
    """What the page declares about itself; fields it does not declare are None."""
    meta = _meta_tags(tree)
    article = _json_ld_article(tree)
    titles = [
        meta.get("og:title"),
        _text(article.get("headline")),
        meta.get("twitter:title"),
        *(h1.text_content() for h1 in tree.iter("h1")),
        _first_text(tree, "//title"),
    ]
    titles = tuple(dict.fromkeys(filter(None, map(_clean, titles))))
    return PageMetadata(
        title=titles[0] if titles else None,
        titles=titles,
        author=_author(article.get("author"))
        or _author(meta.get("author") or meta.get("article:author"))
        or _byline(tree),
        published=_published(tree, url),
        canonical_url=_canonical(tree, meta, url),
        language=_language(tree.get("lang") or meta.get("og:locale")),
        og_type=(meta.get("og:type") or "").strip().lower() or None,
    )


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """<meta name|property=… content=…>, keys lower-cased; the first of each wins."""
    tags: dict[str, str] = {}
    for element in tree.iterfind(".//meta[@content]"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        if key and key not in tags and element.get("content", "").strip():
            tags[key] = element.get("content").strip()
    return tags


def _json_ld_article(tree: HtmlElement) -> dict:
    """The first JSON-LD object typed as an article or blog post; {} if none or unreadable."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _json_objects(data):
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and (t.endswith("Article") or t == "BlogPosting") for t in types):
                return item
    return {}


def _json_objects(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _json_objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _json_objects(data.get("@graph", []))


def _author(value: object) -> str | None:
    """A person's name (or several, joined by ", ") from a meta tag or a JSON-LD author; never a URL."""
    names = [_clean(_BY.sub("", _text(v) or "")) for v in (value if isinstance(value, list) else [value])]
    names = [n for n in names if n and "://" not in n and "@" not in n]
    return ", ".join(dict.fromkeys(names))[:MAX_AUTHOR_CHARS] or None


def _byline(tree: HtmlElement) -> str | None:
    for element in BYLINES(tree):
        name = _author(element.text_content())
        if name and len(name.split()) <= BYLINE_MAX_WORDS and not any(c.isdigit() for c in name):
            return name
    return None


def _text(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def _first_text(tree: HtmlElement, xpath: str) -> str | None:
    found = tree.xpath(xpath)
    return found[0].text_content() if found else None


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed; None for None or blank."""
    return (_SPACE.sub(" ", text).strip() or None) if text else None


def _published(tree: HtmlElement, url: str) -> datetime | None:
    """htmldate's original publication date; a date without an offset is taken as UTC."""
    # deferred_url_extractor: a /2024/10/18/ in the URL has no time of day, the page's own tags usually do
    try:
        found = find_date(
            tree,
            url=url,
            original_date=True,
            extensive_search=False,
            outputformat=ISO_WITH_OFFSET,
            deferred_url_extractor=True,
        )
    except (ValueError, AssertionError):  # htmldate on hostile markup: an offset of +25:00, a broken tree
        return None
    if not found:
        return None
    try:
        published = datetime.fromisoformat(found)
    except ValueError:
        return None
    return published if published.tzinfo else published.replace(tzinfo=timezone.utc)


def _canonical(tree: HtmlElement, meta: dict[str, str], url: str) -> str | None:
    links = (link.get("href") for link in tree.iter("link") if (link.get("rel") or "").strip().lower() == "canonical")
    declared = next((href.strip() for href in links if href and href.strip()), None) or meta.get("og:url")
    if not declared:
        return None
    resolved = absolute(url, declared)
    return resolved if resolved.startswith(("http://", "https://")) else None


def _language(declared: str | None) -> str | None:
    match = _LANG.match((declared or "").strip())
    return match.group(1).lower() if match else None
