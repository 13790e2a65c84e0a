"""Body text that trafilatura's precision mode leaves out, read back from the page's main container.

Precision mode drops some sub-headings and quotes between paragraphs it keeps, and stops at the first
container when a template cuts an article into several of one kind (between ads, around embeds). The
container that holds most of the extracted lines is found in the tree. Its sub-headings and quotes that
lie between two extracted lines are put back in place (the paragraphs it drops there are mostly not body); so are the lines of
other containers of the same tag and class close to it in the tree, before or after the extracted ones.
Bare links (headline lists) and scraps shorter than a sentence (dates, tags) are never put back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lxml.html import HtmlElement

from extractors.linekeys import squash

PARAGRAPHS = ("p", "h2", "h3", "h4", "blockquote", "li", "pre")
INTERIOR = ("h2", "h3", "h4", "blockquote")  # precision mode drops these between paragraphs it keeps; its other cuts are mostly right
NEAR = 3  # a chunk shares an ancestor with the main container at most this many levels up
MIN_WORDS = 6  # shorter lines that are not headings are bylines, dates and tag lists
MAIN_SHARE = 0.5  # the main container holds at least this share of the extracted words


def recovered(tree: HtmlElement, lines: Sequence[str]) -> list[str]:
    """`lines`, with the main container's missing lines between them and its other chunks around them."""
    wanted = {squash(line) for line in lines}
    paragraphs = _outer(tree)
    main = _main_container(paragraphs, wanted, lines)
    if main is None:
        return list(lines)
    following = _between(_outer(main), wanted)
    out: list[str] = []
    for line in lines:
        out.append(line)
        out.extend(following.pop(squash(line), ()))
    if not main.get("class"):
        return out
    before: list[str] = []
    after: list[str] = []
    position = {element: i for i, element in enumerate(tree.iter())}
    for chunk in _same_kind(main):
        target = before if position[chunk] < position[main] else after
        target.extend(line for line in map(_line, _outer(chunk)) if line and line not in wanted)
    return before + out + after


def _main_container(paragraphs: list[HtmlElement], wanted: set[str], lines: Sequence[str]) -> HtmlElement | None:
    words = Counter()
    for element in paragraphs:
        text = squash(element.text_content())
        parent = element.getparent()
        if text in wanted and parent is not None:
            words[parent] += len(text.split())
    if not words:
        return None
    main, held = words.most_common(1)[0]
    return main if held >= MAIN_SHARE * sum(len(line.split()) for line in lines) else None


def _between(paragraphs: list[HtmlElement], wanted: set[str]) -> dict[str, list[str]]:
    """Missing headings and quotes by the extracted line they follow, when an extracted line comes after them too."""
    following: dict[str, list[str]] = {}
    anchor, pending = None, []
    for element in paragraphs:
        text = squash(element.text_content())
        if text in wanted:
            if anchor is not None and pending:
                following.setdefault(anchor, []).extend(line for line, _ in pending)
            anchor, pending = text, []
        elif anchor is not None and _interior(element) and (line := _line(element)):
            pending.append((line, element.tag))
        else:  # a heading over something that is not kept heads a box, not the body
            pending = [(line, tag) for line, tag in pending if tag == "blockquote"]
    return following


def _interior(element: HtmlElement) -> bool:
    """A sub-heading, or a quote without links (embedded posts link to their source); not a widget's label."""
    if element.tag == "blockquote":
        return next(element.iter("a"), None) is None
    return element.tag in INTERIOR and not element.text_content().rstrip().endswith(":")


def _same_kind(main: HtmlElement) -> list[HtmlElement]:
    scope = main
    for _ in range(NEAR):
        if scope.getparent() is None:
            break
        scope = scope.getparent()
    return [e for e in scope.iter(main.tag) if e.get("class") == main.get("class") and not _nested(e, main)]


def _nested(element: HtmlElement, main: HtmlElement) -> bool:
    return element is main or any(a is main for a in element.iterancestors()) or any(
        a is element for a in main.iterancestors()
    )


def _outer(root: HtmlElement) -> list[HtmlElement]:
    """The paragraph-like elements not nested in another one (a quote's paragraphs are read with the quote)."""
    elements = list(root.iter(*PARAGRAPHS))
    nested = {inner for element in elements for inner in element.iterdescendants(*PARAGRAPHS)}
    return [element for element in elements if element not in nested]


def _line(element: HtmlElement) -> str:
    """Its text as a line, or "" for a bare link or a scrap shorter than a sentence that is not a heading."""
    text = squash(element.text_content())
    links = {squash(a.text_content()) for a in element.iter("a")}
    if text in links or (len(text.split()) < MIN_WORDS and not element.tag.startswith("h")):
        return ""
    return text

