"""Per-source template memory, its pure part: what a page shows of its template, and dropping what was learned.

Each body line (as extract_body returns it, before the boilerplate cleaner) is placed in the page: the
deepest element whose whole text is the line. Its shape is the tag and classes of that element and of up
to SHAPE_ANCESTORS ancestors. It is linked when it is a slot around a link to another article-like page
of the same site: the line is that link with a label of at most LABEL_WORDS words ("Read also:"), or
its parent, of at most SLOT_WORDS words (a card: headline, teaser, date), has such a link beside it.
A link inside running text does not count, so a body paragraph is never linked.

A page teaches the keys (lower-case words) of its lines of at most LINE_WORDS words, and per shape the
keys of the lines it held and whether every one was linked. newswatch/templatememory.py counts these per
source and decides what is learned: a line seen on three distinct pages; a shape that held linked lines
of new text on three distinct pages and never an unlinked line. Applying it drops each line whose key
is learned and each linked line in a learned shape; an unlinked line is never dropped for its shape.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, islice

from lxml import etree
from lxml.html import HtmlElement

from extractors.linekeys import element_words, line_key, squash
from extractors.teasers import article_like, same_site_path, site_and_path
from newswatch.models import LineSeen, ShapeSeen, TemplateMemory, TemplateSeen

LINE_WORDS = 30  # longer lines are not learned: a wire's standard background paragraph is body text
SHAPE_ANCESTORS = 3  # ancestors in a shape: enough to tell a card's teaser from a body paragraph
SLOT_WORDS = 80  # a parent with more words is the body, not a card around one headline
LABEL_WORDS = 3  # words beside a link on its own line: "Read also:", "›", a date
NOT_HOLDERS = frozenset({"script", "style", "noscript", "template", "head", "title"})
_WORD = re.compile(r"\S+")
_ID = re.compile(r"\d{3}")  # class names with ids in them (post-4100, postid-4100) change from page to page


@dataclass(frozen=True)
class PlacedLine:
    """One body line as template memory sees it."""

    text: str
    key: str
    shape: str  # "" when no element holds the line as a whole
    linked: bool


def place(tree: HtmlElement, url: str, lines: Sequence[str]) -> list[PlacedLine]:
    """Each line's key, shape and whether it is linked, in the page at `url`."""
    wanted = {squash(line) for line in lines}
    firsts = {line.split(None, 1)[0] for line in wanted if line}
    longest = max(map(len, wanted), default=0)
    holders: dict[str, HtmlElement] = {}
    # Reading the whole text of every element costs a quarter of an extraction: start only from elements
    # whose own text begins with a line's first word, and go up while the text is no longer than a line.
    for element in tree.iter(etree.Element):
        lead = _WORD.search(element.text) if element.text and element.tag not in NOT_HOLDERS else None
        if lead is None or lead[0] not in firsts:
            continue
        node = element
        while node is not None and node.tag not in NOT_HOLDERS:
            text = squash(node.text_content())
            if len(text) > longest:
                break
            if text in wanted:
                holders.setdefault(text, node)  # going up, the first match is the deepest; a repeat stays out
                break
            node = node.getparent() if _starts(node) else None
    slots = _Slots(url)
    return [slots.place(line, holders.get(squash(line))) for line in lines]


def observe(placed: Sequence[PlacedLine]) -> TemplateSeen:
    """What the page teaches its source's template memory."""
    lines = {p.key: LineSeen(p.key, p.text) for p in placed if p.key and len(p.key.split()) <= LINE_WORDS}
    groups: dict[str, list[PlacedLine]] = {}
    for p in placed:
        if p.shape:
            groups.setdefault(p.shape, []).append(p)
    shapes = []
    for shape, group in groups.items():
        linked = all(p.linked for p in group)
        # the texts only matter while a shape may still be learned, and body paragraphs are long
        shapes.append(ShapeSeen(shape, frozenset(p.key for p in group) if linked else frozenset(), linked))
    return TemplateSeen(tuple(lines.values()), tuple(shapes))


def forget(lines: Sequence[str], placed: Sequence[PlacedLine], memory: TemplateMemory) -> list[str]:
    """The lines, without those the source's template memory learned."""
    return [line for line, p in zip(lines, placed) if not _learned(p, memory)]


def _learned(p: PlacedLine, memory: TemplateMemory) -> bool:
    return p.key in memory.lines or (p.linked and p.shape in memory.shapes)


def _starts(node: HtmlElement) -> bool:
    """Whether the text of `node`'s parent begins with that of `node`."""
    parent = node.getparent()
    if parent is None or (parent.text and not parent.text.isspace()):
        return False
    before = node.itersiblings(preceding=True)
    return not any(squash(s.text_content()) or (s.tail and not s.tail.isspace()) for s in before)


def _shape(element: HtmlElement) -> str:
    nodes = islice(chain([element], element.iterancestors()), SHAPE_ANCESTORS + 1)
    return " < ".join(map(_label, nodes))


def _label(node: HtmlElement) -> str:
    return ".".join([node.tag, *(c for c in node.get("class", "").split() if not _ID.search(c))])


class _Slots:
    """Which elements of one page are slots around a link to another story (see the module docstring)."""

    def __init__(self, url: str):
        self.url = url
        self.page = site_and_path(url)
        self._words: dict[HtmlElement, int] = {}  # the short body lines of a page share a parent: read it once

    def place(self, line: str, element: HtmlElement | None) -> PlacedLine:
        if element is None:
            return PlacedLine(line, line_key(line), "", False)
        return PlacedLine(line, line_key(line), _shape(element), self._linked(element, len(line.split())))

    def _linked(self, element: HtmlElement, words: int) -> bool:
        if words > SLOT_WORDS:
            return False
        if any(words - element_words(link) <= LABEL_WORDS for link in self._story_links(element)):
            return True
        parent = element.getparent()
        if parent is None:
            return False
        if parent not in self._words:
            self._words[parent] = element_words(parent)
        if self._words[parent] > SLOT_WORDS:
            return False
        inside = set(element.iter("a"))
        return any(link not in inside for link in self._story_links(parent))

    def _story_links(self, element: HtmlElement) -> list[HtmlElement]:
        """Links in `element` to another article-like page of the site."""
        found = []
        for link in element.iter("a"):
            href = link.get("href")
            target = same_site_path(href, self.url, self.page) if href else None
            if target is not None and article_like(target):
                found.append(link)
        return found

