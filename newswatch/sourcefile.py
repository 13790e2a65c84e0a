"""A sources file, OPML or TOML, read into source declarations that config.py validates like its own [[sources]]."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newswatch.configreader import Table, read_toml
from newswatch.errors import ConfigError
from newswatch.opml import Duplicate, OpmlFeed, read_opml

OPML_SUFFIXES = (".opml", ".xml")
_NOT_NAME = re.compile(r"[^a-z0-9._]+")


@dataclass(frozen=True)
class DeclaredSource:
    """One source as a file declares it, not yet validated: its keys, and where it stands."""

    data: dict[str, Any]
    file: Path
    where: str  # "sources[3]" in TOML, "line 12" in OPML: the table's path in error messages
    location: str  # "config.toml: sources[3]", "feeds.opml, line 12": for errors that point at two places
    note: str = ""  # an OPML outline's title and site, which `sources import` keeps as a comment

    def table(self) -> Table:
        return Table(self.data, self.where, self.file)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sources: tuple[DeclaredSource, ...]
    duplicates: tuple[Duplicate, ...] = ()  # feed URLs an OPML file lists twice (kept once)


def read_sources_file(path: Path) -> SourceFile:
    """The sources of an OPML (.opml, .xml) or TOML (.toml: [[sources]] tables) file."""
    suffix = path.suffix.lower()
    if suffix in OPML_SUFFIXES:
        opml = read_opml(path)
        return SourceFile(path, _from_feeds(path, opml.feeds), opml.duplicates)
    if suffix == ".toml":
        root = Table(read_toml(path, "sources file"), "", path)
        sources = declared_in(root)
        root.done()
        return SourceFile(path, sources)
    raise ConfigError(f"{path}: a sources file must be OPML (.opml, .xml) or TOML (.toml)")


def declared_in(root: Table) -> tuple[DeclaredSource, ...]:
    """The [[sources]] tables of a TOML file."""
    return tuple(DeclaredSource(t.data, t.file, t.where, f"{t.file}: {t.where}") for t in root.tables("sources"))


def source_name(title: str, url: str) -> str:
    """A source name from a feed's title: "Café Babel — World" → "cafe-babel-world"; from its URL if no Latin is left."""
    # An untitled outline's title is its URL: named from host and path, without the scheme.
    # The URL is split only when needed: thousands of feeds pass through here.
    return (_slug(title) if title != url else "") or _slug(_url_words(url)) or "feed"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NOT_NAME.sub("-", folded).strip("-._")


def _url_words(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host} {parts.path}"


class Names:
    """Hands out free names: a taken one gets the next number ("world", "world-2", ...), without rescanning."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())
        self._last: dict[str, int] = {}  # base -> the last number tried: 5,000 "World" feeds stay linear

    def claim(self, base: str) -> str:
        n = self._last.get(base, 1)
        name = base if n == 1 else f"{base}-{n}"
        while name in self.taken:
            n += 1
            name = f"{base}-{n}"
        self._last[base] = n
        self.taken.add(name)
        return name


def _from_feeds(path: Path, feeds: tuple[OpmlFeed, ...]) -> tuple[DeclaredSource, ...]:
    names = Names()
    sources = []
    for feed in feeds:
        # Folders often hold feeds of one title ("World" under two outlets): number them, in file order.
        name = names.claim(source_name(feed.title, feed.xml_url))
        data: dict[str, Any] = {"name": name, "feeds": [feed.xml_url]}
        if feed.tags:
            data["tags"] = list(feed.tags)
        note = " — ".join(part for part in (feed.title, feed.html_url) if part and part not in (name, feed.xml_url))
        sources.append(DeclaredSource(data, path, f"line {feed.line}", f"{path}, line {feed.line}", note))
    return tuple(sources)
