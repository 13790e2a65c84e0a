"""The main text of a page as lines: trafilatura's extraction, with lists of links and teasers taken out.

trafilatura runs in precision mode without comments. When that keeps fewer than min_words words, or less
than half the words of the page's paragraphs, its balanced mode runs too (precision mode sometimes settles
on a small wrong block): a short result is replaced by the balanced one when that is longer, otherwise the
balanced pass's extra lines between the precise ones, and finished sentences after them, are merged in.
extractors.recall then puts back the sub-headings and quotes precision mode drops, and the other chunks of
a body cut into several containers. A line whose whole text is the text of one link on the page is a link
line; two or more in a row are a list of links (a menu, related headlines, a tag cloud) and go. The link
texts are read from the parsed page because trafilatura's include_links mode changes what it extracts
(text around links goes missing). Last, lines of teaser blocks found by structure go (extractors.teasers).
The title, kept apart in the Document, goes from the top of the text."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import groupby

import trafilatura
from lxml.html import HtmlElement

from extractors.linekeys import line_key
from extractors.recall import recovered
from extractors.teasers import find_teasers
from extractors.wordcount import word_count

SAME_LINE = 0.8  # share of words two lines have in common when they are one paragraph written out twice
RETOLD_MIN_WORDS = 6  # shorter lines (sub-headings) share their words with the paragraphs they head
SHORT_SHARE = 0.5  # precise text under this share of the page's paragraph words may have missed part of the body
LINK_RUN = 2  # this many link lines in a row make a list of links
_EDGES = string.punctuation + string.whitespace + "•·–—…‹›«»“”‘’⋙►▸➤"  # bullets and commas around a link


@dataclass(frozen=True)
class Body:
    lines: list[str]  # text lines, without lists of links and teasers
    extracted_lines: int  # lines trafilatura kept
    link_lines: list[str]  # those of them that are the text of a link, lists included


def extract_body(
    tree: HtmlElement, url: str, min_words: int, titles: Iterable[str] = (), teasers: bool = True, recall: bool = True
) -> Body | None:
    """The page's main text, or None when trafilatura finds none; `tree` is not modified.

    `teasers` takes out teaser blocks found by structure (extractors.teasers), `recall` puts back what precision
    mode left out of the main container (extractors.recall)."""
    precise = _lines(_extract(tree, url, favor_precision=True))
    words = word_count(" ".join(precise))
    if words < min_words or words < SHORT_SHARE * _paragraph_words(tree):
        balanced = _lines(_extract(tree, url, favor_precision=False))
        if words < min_words:
            lines = balanced if word_count(" ".join(balanced)) > words else precise
        else:
            lines = _merged(precise, balanced)
    else:
        lines = precise
    if recall and words >= min_words:
        lines = recovered(tree, lines)
    titles = {_normalise(title) for title in titles}
    while lines and _normalise(lines[0]) in titles:
        lines.pop(0)
    if not lines:
        return None
    body = _without_link_lists(lines, _link_texts(tree))
    if not teasers:
        return body
    found = find_teasers(tree, url, body.lines)
    return replace(body, lines=[line for line in body.lines if not found.covers(line)])


def _paragraph_words(tree: HtmlElement) -> int:
    return sum(len(p.text_content().split()) for p in tree.iter("p"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _merged(precise: list[str], balanced: list[str]) -> list[str]:
    """The precise lines, with the balanced pass's extra lines between them, in page order."""
    keys = [line_key(line) for line in precise]
    token_sets = [set(k.split()) for k in keys]
    position = {key: i for i, key in enumerate(keys)}
    matched = [i for i in (position.get(line_key(line)) for line in balanced) if i is not None]
    if not matched:
        return precise
    out: list[str] = []
    placed: set[int] = set()
    seen_first = False
    for line in balanced:
        key = line_key(line)
        i = position.get(key)
        if i is not None:
            for j in range(i + 1):
                if j not in placed:
                    out.append(precise[j])
                    placed.add(j)
            seen_first = True
            continue
        if _retold(key, token_sets):
            continue
        interior = seen_first and len(placed) < len(precise)
        if interior or (seen_first and _prose(line)):
            out.append(line)
    out.extend(precise[j] for j in range(len(precise)) if j not in placed)
    return out


def _retold(key: str, token_sets: list[set[str]]) -> bool:
    """Whether a line is one of the precise lines written out differently (with or without link text)."""
    tokens = set(key.split())
    if len(tokens) < RETOLD_MIN_WORDS:
        return False
    return any(len(tokens & other) >= SAME_LINE * min(len(tokens), len(other)) for other in token_sets if other)



def _prose(line: str) -> bool:
    """A finished sentence of some length: outside the precise lines only such lines are taken."""
    return len(line.split()) >= 10 and line.rstrip("\"'”’»)").endswith((".", "!", "?", "。"))


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

