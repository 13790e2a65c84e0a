"""Related-story teasers and form boxes found by page structure; their lines are taken out of the extracted text.

A teaser is a block (li, div, article, aside, section, figure, p, a heading) built around a headline: a link
that stands on its own line and points at another article-like page of the same site. The block takes the
headline, one short teaser text after it, and a few words of date, category or author; it grows over
sibling teasers of the same list and over a heading such as "More Related News", so a whole stream goes.
A body paragraph with a link inside a sentence is never a teaser: the link does not stand alone. A box
with a form field (newsletter sign-up, search) and little text goes as well, and so does a short line
around an e-mail link (a tip line, a contact line).

No wording is involved: the same rules hold in every language and on templates never seen before. The tree
is left as it is: taking blocks out before trafilatura runs changes which container it settles on, and on
pages it read right that cost more body text than the teasers it saved.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from collections.abc import Sequence
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

import courlan

from lxml.html import HtmlElement

from extractors.linekeys import element_words, line_key
from newswatch.urls import absolute

BLOCKS = frozenset(
    {"li", "ul", "ol", "dl", "dd", "div", "article", "aside", "section", "figure", "header", "footer", "p"}
    | {"h2", "h3", "h4", "h5", "h6", "td", "tr", "tbody", "table"}
)
INLINE = frozenset({"a", "span", "strong", "b", "em", "i", "small", "time", "font", "picture"})
HEADLINE_MIN_WORDS = 3  # a link with fewer words is a menu entry, a tag or "more"
LINE_EXTRA_WORDS = 3  # words beside a standalone link on its own line: "Read also:", "›", a date
META_WORDS = 8  # date, category and author around a headline
TEASER_MAX_WORDS = 40  # one teaser paragraph; more text after a headline is an article going on
FORM_BOX_MAX_WORDS = 40  # a sign-up box: a call to action, a field, a button, a privacy line
CONTACT_MAX_WORDS = 12  # an address with a line of call to action; a longer paragraph is text that cites it
FORM_FIELDS = ("input", "textarea", "select")  # not buttons: code blocks carry a "Copy" button
TAXONOMY = frozenset({"tag", "tags", "topic", "topics", "category", "categories", "section", "author", "authors", "search"})
LINES = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "div", "dd", "dt", "blockquote", "figcaption", "label")
LONE_LINK_SHARE = 0.2  # of a teaser block's words in links: a headline over a teaser of a line or two
LIST_LINK_SHARE = 0.1  # in a list of sibling cards of one shape after the body, a standfirst may run to 40 words
PROSE_WORDS = 10  # an extracted line this long is body text, and the body ends with the last of them
COVER_MIN_WORDS = 6  # a shorter line that is only part of a teaser block may be a body sub-heading as well
_SLUG = re.compile(r"[^\W_]+(?:[-_][^\W_]+){2,}|\d{4,}")  # three-word slugs, or ids and dates in the path


@dataclass(frozen=True)
class Teasers:
    """The teaser blocks and form boxes of one page, and their text."""

    elements: tuple[HtmlElement, ...]
    blocks: tuple[str, ...]  # each block's whole text as line_key words, for lines that join or split its lines

    @cached_property
    def lines(self) -> frozenset[str]:
        """Each block's own lines (paragraphs, headings, items) as line_key words; read only for short lines."""
        return frozenset(_text_key(e) for block in self.elements for e in block.iter(*LINES)) - {""}

    def covers(self, line: str) -> bool:
        """Whether an extracted line is text of a teaser block."""
        key = line_key(line)
        if not key or not self.blocks:
            return False
        if key.count(" ") + 1 >= COVER_MIN_WORDS:
            return any(f" {key} " in f" {block} " for block in self.blocks)
        return key in self.lines


def find_teasers(tree: HtmlElement, url: str, extracted: Sequence[str]) -> Teasers:
    """The teaser blocks and form boxes of the page at `url`, given the lines extracted from it; `tree` is not modified."""
    page = site_and_path(url)
    candidates = set()
    for link in tree.iter("a"):
        # cheapest test first: most links on a page are menu entries of a word or two
        if not link.get("href") or element_words(link) < HEADLINE_MIN_WORDS:
            continue
        line = _standalone_line(link)
        target = same_site_path(link.get("href"), url, page) if line is not None else None
        if target is not None:
            candidates.add(_teaser_block(line) if article_like(target) else line)
    shapes = Counter(_shape(block) for block in candidates)
    blocks = {b for b in candidates if _link_words(b) >= LONE_LINK_SHARE * element_words(b)}
    listed = {b for b in candidates - blocks if shapes[_shape(b)] > 1 and _link_words(b) >= LIST_LINK_SHARE * element_words(b)}
    if listed:
        blocks |= _after_body(tree, listed, extracted)
    fields = [f for f in tree.iter(*FORM_FIELDS) if f.get("type", "").lower() != "hidden"]
    boxes = {box for box in map(_form_box, fields) if box is not None} | _contact_lines(tree)
    chosen = _with_lists(blocks) | boxes
    outermost = [b for b in chosen if not any(a in chosen for a in b.iterancestors())]
    return Teasers(elements=tuple(outermost), blocks=tuple(_text_key(b) for b in outermost))


def same_site_path(href: str, base: str, page: tuple[str, str]) -> str | None:
    """The path of the page `href` points at, when that is another page of this site."""
    if href.startswith(("#", "javascript:", "mailto:")):
        return None
    if href.startswith("/") and not href.startswith("//"):  # most links: no need to resolve them
        site, path = page[0], href.split("#", 1)[0].split("?", 1)[0].rstrip("/") or "/"
    else:
        site, path = site_and_path(absolute(base, href))
    return path if site == page[0] and path != page[1] else None


def _standalone_line(link: HtmlElement) -> HtmlElement | None:
    """The block that holds the link as its own line, or None when the link sits inside running text."""
    if any(e.tag in BLOCKS for e in link.iterdescendants()):
        return link  # a card whose link wraps the headline's own block
    line = link
    while line.tag in INLINE and line.getparent() is not None:
        line = line.getparent()
    if line.tag not in BLOCKS or _line_words(line) - element_words(link) > LINE_EXTRA_WORDS:
        return None
    return line


def _line_words(block: HtmlElement) -> int:
    """Words of the block's own line: its text outside the blocks it holds (a card's teaser paragraph)."""
    words = len(block.text.split()) if block.text else 0
    for child in block:
        if child.tag not in BLOCKS:
            words += element_words(child)
        words += len(child.tail.split()) if child.tail else 0
    return words


def _teaser_block(line: HtmlElement) -> HtmlElement:
    """The block around a headline line: the headline, one teaser text after it, dates and labels."""
    block, absorbed = line, False
    while (parent := block.getparent()) is not None and parent.tag in BLOCKS:
        before, after = _around(parent, block)
        if before > META_WORDS:
            break
        if after <= META_WORDS:
            block = parent
        elif not absorbed and after <= TEASER_MAX_WORDS:
            block, absorbed = parent, True
        else:
            break
    return block


def _around(parent: HtmlElement, block: HtmlElement) -> tuple[int, int]:
    """Words of `parent` before and after `block`."""
    before = len(parent.text.split()) if parent.text else 0
    after = 0
    seen = False
    for child in parent:
        if child is block:
            seen = True
            after += len(child.tail.split()) if child.tail else 0
            continue
        words = element_words(child) + (len(child.tail.split()) if child.tail else 0)
        if seen:
            after += words
        else:
            before += words
    return before, after


def _with_lists(blocks: set[HtmlElement]) -> set[HtmlElement]:
    """The blocks, grown over their parents wherever the parent holds nothing else but a few words."""
    frontier = set(blocks)
    while frontier:
        parents = {block.getparent() for block in frontier} - blocks - {None}
        frontier = {p for p in parents if p.tag in BLOCKS and _looseelement_words(p, blocks) <= META_WORDS}
        blocks |= frontier
    return blocks


def _looseelement_words(parent: HtmlElement, blocks: set[HtmlElement]) -> int:
    words = len(parent.text.split()) if parent.text else 0
    for child in parent:
        words += len(child.tail.split()) if child.tail else 0
        if child not in blocks:
            words += element_words(child)
    return words


def _contact_lines(tree: HtmlElement) -> set[HtmlElement]:
    """Short lines built around an e-mail link: "Got a tip? Write to …", "Contact the author"."""
    lines = set()
    for link in tree.iter("a"):
        if link.get("href", "").lower().startswith("mailto:"):
            line = link
            while line.tag in INLINE and line.getparent() is not None:
                line = line.getparent()
            if line.tag in BLOCKS and element_words(line) <= CONTACT_MAX_WORDS:
                lines.add(line)
    return lines


def _form_box(field: HtmlElement) -> HtmlElement | None:
    box = None
    node = field
    while (parent := node.getparent()) is not None and parent.tag in BLOCKS | {"form"}:
        if element_words(parent) > FORM_BOX_MAX_WORDS:
            break
        node = box = parent
    return box


def site_and_path(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "", ""
    return _site(host), parts.path.rstrip("/") or "/"


@lru_cache(maxsize=4096)
def _site(host: str) -> str:
    """The registered domain (video.example.co.uk → example.co.uk); the host itself for IPs and localhost."""
    return courlan.extract_domain(f"http://{host}/") or host


def article_like(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0].lower() in TAXONOMY:
        return False
    return any(_SLUG.search(s) for s in segments)


def _shape(block: HtmlElement) -> tuple:
    """Siblings of one list share it: the parent, the tag and the first class (later ones number the items)."""
    return block.getparent(), block.tag, tuple((block.get("class") or "").split()[:1])


def _after_body(tree: HtmlElement, blocks: set[HtmlElement], extracted: Sequence[str]) -> set[HtmlElement]:
    """Those of the blocks that come after the last extracted paragraph of prose outside them."""
    prose = {line_key(line) for line in extracted if len(line.split()) >= PROSE_WORDS}
    order: dict[HtmlElement, int] = {}
    body_end = -1
    for i, element in enumerate(tree.iter()):
        order[element] = i
        if element.tag in LINES and _text_key(element) in prose:
            if not any(a in blocks for a in element.iterancestors()):
                body_end = i
    return {b for b in blocks if order[b] > body_end}


def _link_words(element: HtmlElement) -> int:
    return sum(element_words(a) for a in element.iter("a"))


def _text_key(element: HtmlElement) -> str:
    # itertext, not text_content: adjacent elements ("Sep 24</span><h3>Russian") are words apart in the output
    return line_key(" ".join(element.itertext()))

