"""The main text of a page as lines: trafilatura's extraction, with lists of links taken out.

trafilatura runs in precision mode without comments; when that keeps fewer than min_words words, its
balanced mode gets a second try (precision mode sometimes settles on a small wrong block). A line whose
whole text is the text of one link on the page is a link line; two or more in a row are a list of links
(a menu, related headlines, a tag cloud) and go. The link texts are read from the parsed page because
trafilatura's include_links mode changes what it extracts (text around links goes missing). The title,
kept apart in the Document, goes from the top of the text.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

import trafilatura
from lxml.html import HtmlElement

from extractors.wordcount import word_count

LINK_RUN = 2  # this many link lines in a row make a list of links
_EDGES = string.punctuation + string.whitespace + "•·–—…‹›«»“”‘’⋙►▸➤"  # bullets and commas around a link


@dataclass(frozen=True)
class Body:
    lines: list[str]  # text lines, without lists of links
    extracted_lines: int  # lines trafilatura kept
    link_lines: list[str]  # those of them that are the text of a link, lists included


def extract_body(tree: HtmlElement, url: str, min_words: int, titles: Iterable[str] = ()) -> Body | None:
    """The page's main text, or None when trafilatura finds none; `tree` is not modified."""
    text = _extract(tree, url, favor_precision=True)
    if word_count(text) < min_words:
        balanced = _extract(tree, url, favor_precision=False)
        if word_count(balanced) > word_count(text):
            text = balanced
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    titles = {_normalise(title) for title in titles}
    while lines and _normalise(lines[0]) in titles:
        lines.pop(0)
    if not lines:
        return None
    return _without_link_lists(lines, _link_texts(tree))


def _extract(tree: HtmlElement, url: str, favor_precision: bool) -> str:
    # fast: no second opinion from trafilatura's fallback extractors (readability, jusText). The balanced
    # retry above covers what they caught; same F1 on both shared corpora, a third less time (README).
    document = trafilatura.bare_extraction(
        tree, url=url, favor_precision=favor_precision, include_comments=False, fast=True
    )
    return (document.text or "") if document is not None else ""


def _without_link_lists(lines: list[str], link_texts: set[str]) -> Body:
    is_link = [_normalise(line) in link_texts for line in lines]
    kept: list[str] = []
    start = 0
    for link, run in groupby(is_link):
        length = len(list(run))
        if not (link and length >= LINK_RUN):
            kept.extend(lines[start : start + length])
        start += length
    return Body(
        lines=kept,
        extracted_lines=len(lines),
        link_lines=[line for line, link in zip(lines, is_link) if link],
    )


def _link_texts(tree: HtmlElement) -> set[str]:
    return {_normalise(a.text_content()) for a in tree.iter("a")} - {""}


def _normalise(text: str) -> str:
    # str methods rather than a regex: this runs on every link of every page
    text = text.strip(_EDGES).lower()
    return " ".join(text.split()) if "  " in text or "\n" in text or "\t" in text else text

