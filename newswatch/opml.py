"""OPML 2.0, as feed readers export it: every outline with an `xmlUrl` is a feed, its folders and categories its tags."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from newswatch.configreader import HTTP_URL
from newswatch.errors import ConfigError

# libxml2 appends the position to its message; we print it once, in front.
_POSITION = re.compile(r",? line \d+, column \d+$")


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline."""

    title: str  # `title`, else `text`, else the feed URL
    xml_url: str
    html_url: str | None
    tags: tuple[str, ...]  # enclosing folders as one slash path, then the `category` paths
    line: int


@dataclass(frozen=True)
class Duplicate:
    """A feed URL listed again; the first outline is kept and takes this one's tags."""

    xml_url: str
    line: int
    first_line: int


@dataclass(frozen=True)
class Opml:
    path: Path
    feeds: tuple[OpmlFeed, ...]
    duplicates: tuple[Duplicate, ...]


def read_opml(path: Path) -> Opml:
    """Parse an OPML file; ConfigError "FILE, line N: ..." when it is malformed or a feed URL is not http(s)."""
    # No entities, no network: a feed list from elsewhere must not make us read files or fetch URLs.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read OPML file: {exc}") from None
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        reason = _POSITION.sub("", exc.msg or "not XML")
        raise ConfigError(f"{path}, line {line}, column {column}: malformed OPML: {reason}") from None
    if root.tag != "opml":
        raise ConfigError(f"{path}, line {root.sourceline}: not OPML: the root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise ConfigError(f"{path}, line {root.sourceline}: not OPML: <opml> has no <body>")
    feeds: dict[str, OpmlFeed] = {}  # by URL, in document order
    duplicates: list[Duplicate] = []
    for outline, folders in _outlines(body, ()):
        feed = _feed(path, outline, folders)
        first = feeds.get(feed.xml_url)
        if first is None:
            feeds[feed.xml_url] = feed
            continue
        # The same feed in two folders (common in exports): one source, tagged with both.
        feeds[feed.xml_url] = replace(first, tags=_union(first.tags, feed.tags))
        duplicates.append(Duplicate(feed.xml_url, feed.line, first.line))
    return Opml(path=path, feeds=tuple(feeds.values()), duplicates=tuple(duplicates))


def _outlines(parent: etree._Element, folders: tuple[str, ...]):
    """Feed outlines in document order, each with the titles of the folders it sits in."""
    for outline in parent.iterchildren("outline"):
        if outline.get("xmlUrl") is not None:
            yield outline, folders
        label = (outline.get("title") or outline.get("text") or "").strip()
        if len(outline):
            yield from _outlines(outline, folders + ((label,) if label and outline.get("xmlUrl") is None else ()))


def _feed(path: Path, outline: etree._Element, folders: tuple[str, ...]) -> OpmlFeed:
    url = outline.get("xmlUrl").strip()
    line = outline.sourceline
    if not HTTP_URL.match(url):
        raise ConfigError(f"{path}, line {line}: xmlUrl {url!r} is not an http(s) URL")
    title = (outline.get("title") or outline.get("text") or "").strip() or url
    categories = (c.strip().strip("/") for c in (outline.get("category") or "").split(","))
    tags = _union(("/".join(folders),) if folders else (), tuple(c for c in categories if c))
    return OpmlFeed(title=title, xml_url=url, html_url=outline.get("htmlUrl"), tags=tags, line=line)


def _union(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(dict.fromkeys(t for t in more if t not in first))
