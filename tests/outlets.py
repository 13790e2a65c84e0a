"""Fixture news outlets, each with its own page template: article pages and a feed, generated from article data.

Ground truth is in attributes: `data-body` on text that must be kept (paragraphs, subheadings, quotes),
`data-teaser` on related-story cards and boxes, `data-chrome` on newsletter, tip, permalink, share and tag
blocks, `data-template-chrome` on the one outlet-specific line that only per-source template memory can tell
from article text. Three outlets here (tests/test_outlets.py); two more, held out from tuning, in
bench/outlets_holdout.py, which registers them here and renders them with the same render().

An outlet's articles and teasers, its plain values (host, title, feed, UTC offset, template line) and its
Template patterns (page, menu, paragraph, card, ...) are data: tests/data/outlets/<name>.json, read at import
by load_outlet(). What is code stays in this module: the path schemes, extra template fields, link patterns.

    OUTLETS                                     # the outlet names, which are also their source names
    build_site("harbour-ledger")               # {path: html or feed}, `{{BASE}}` where the base URL goes
    build_site("harbour-ledger", feed_limit=3)  # the same pages, the feed listing only the first three
    feed("harbour-ledger", 3), article_paths("harbour-ledger"), outlet("harbour-ledger").feed_path
    body_sentences(html), markers(html, "data-teaser"), missing_sentences(html, text), leaks(html, text)
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import lxml.html

DATA = Path(__file__).resolve().parent / "data" / "outlets"  # <name>.json: an outlet's data (see load_outlet())
BASE = "{{BASE}}"  # SiteServer puts its own base URL here; bench/outlets.py puts the outlet's host
MARKERS = ("data-teaser", "data-chrome")  # what must not reach the stored text
RUSSIA_WORDS = re.compile(r"\b(Russia|Russian|Moscow|Kursk|troops|soldiers)\b")

_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’])\s+")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def squash(text: str) -> str:
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(squash(text)) if s]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Teaser:
    """A story as the teaser cards on other pages show it. A bare Teaser exists only as a card (its URL is never fetched)."""

    slug: str
    date: str  # "YYYY-MM-DD HH:MM", the outlet's local time
    section: str
    title: str
    blurb: str  # what other pages' teaser cards say about it, and the feed's summary


@dataclass(frozen=True)
class Story(Teaser):
    """One article. Blocks: "## h2", "### h3", "> quote", else a paragraph; `[text](slug or /path)` is a link."""

    author: str
    tags: tuple[str, ...]
    blocks: tuple[str, ...]

    @classmethod
    def from_json(cls, record: dict[str, object]) -> Story:
        """A story as its outlet's data file has it (lists where the record keeps tuples)."""
        return cls(**{**record, "tags": tuple(record["tags"]), "blocks": tuple(record["blocks"])})


@dataclass(frozen=True)
class Card:
    title: str
    blurb: str
    href: str
    published: datetime
    section: str


@dataclass(frozen=True)
class Block:
    kind: str  # "p", "h2", "h3" or "quote"
    text: str  # plain text
    html: str  # escaped, links rendered


@dataclass(frozen=True)
class Page:
    """Everything a template needs for one article page."""

    outlet: "Outlet"
    index: int
    story: Story
    path: str
    url: str  # absolute, with BASE
    published: datetime
    blocks: tuple[Block, ...]
    inline_at: int  # the inline teaser box goes right before blocks[inline_at]
    inline: Card
    stream: tuple[Card, ...]  # the read-next cards after the body


@dataclass(frozen=True)
class Template:
    """An outlet's markup as str.format patterns: one render() fills them in for every outlet."""

    page: str  # the whole page: {body}, {nav}, {tags}, {cards}, {side} and the story's fields (see render())
    nav: tuple[str, ...]  # the menu's entries
    nav_item: str  # {name}, {slug}
    paragraph: str  # {html}
    heading: str  # {kind} ("h2" or "h3"), {html}
    quote: str  # {html}
    inline: str  # the teaser box between two paragraphs: card fields ({href}, {title}, {blurb}, {section}, ...)
    card: str  # a read-next card: card fields
    tag: str  # {text}, {slug}
    side_item: str = ""  # a most-read or recent-posts entry: card fields and {n}, counting from 1
    card_sep: str = ""
    tag_sep: str = ""
    # The body is a run of chunks, `chunk` wrapped around at least `chunk_size` pieces (a block, or the teaser
    # box and the block after it): React renderers wrap every three, plain markup is one bare piece a chunk.
    chunk: str = "{pieces}"
    chunk_size: int = 1
    chunk_sep: str = "\n"  # between the pieces of a chunk
    fields: Callable[[Page], dict[str, object]] = lambda page: {}  # outlet-specific; these and {base} reach every pattern


@dataclass(frozen=True)
class Outlet:
    name: str  # the source name in the config
    host: str  # its made-up host, for absolute URLs outside a test server
    title: str
    feed_path: str
    feed_format: str  # "rss" or "atom"
    utc_offset: int  # hours
    template_line: str  # the data-template-chrome line, on every page
    path_for: Callable[[str, datetime, str], str]  # (section, published, slug) -> path
    template: Template
    stories: tuple[Story, ...]
    teasers: tuple[Teaser, ...]
    link: str = '<a href="{href}">{text}</a>'  # how the template writes a link inside body text
    absolute_links: bool = False  # hrefs with the base URL (some sites write them so), else site-relative

    def when(self, date: str) -> datetime:
        tz = timezone(timedelta(hours=self.utc_offset))
        return datetime.strptime(date, "%Y-%m-%d %H:%M").replace(tzinfo=tz)

    def href(self, path: str) -> str:
        return BASE + path if self.absolute_links else path


def load_outlet(
    path: Path,
    path_for: Callable[[str, datetime, str], str],
    fields: Callable[[Page], dict[str, object]] | None = None,
    **options: object,
) -> Outlet:
    """An outlet from its data file and the parts of it that are code: the path scheme, the template's own
    fields if it has any, and Outlet options (link, absolute_links) where not the default.

    The file holds the outlet's plain values (name, host, title, feed, UTC offset, template line), its
    "template" patterns (the page a line an entry; nav, nav_item, paragraph, heading, quote, inline, card,
    tag, ...), its "stories" and its "teasers"."""
    data = json.loads(path.read_text(encoding="utf-8"))
    patterns = data.pop("template")
    code = {"fields": fields} if fields else {}
    page = "\n".join(patterns.pop("page")) + "\n"
    template = Template(page=page, **{**patterns, "nav": tuple(patterns["nav"])}, **code)
    stories = tuple(map(Story.from_json, data.pop("stories")))
    teasers = tuple(Teaser(**record) for record in data.pop("teasers"))
    return Outlet(**data, path_for=path_for, template=template, stories=stories, teasers=teasers, **options)


# ---------------------------------------------------------------- building pages


def story_path(outlet: Outlet, story: Teaser) -> str:
    return outlet.path_for(story.section, outlet.when(story.date), story.slug)


def outlet_paths(outlet: Outlet) -> list[str]:
    """Article paths in feed order."""
    return [story_path(outlet, s) for s in outlet.stories]


def _resolve(outlet: Outlet, target: str) -> str:
    if target.startswith("/"):
        return outlet.href(target)
    for item in (*outlet.stories, *outlet.teasers):
        if item.slug == target:
            return outlet.href(story_path(outlet, item))
    raise KeyError(f"{outlet.name}: no story or teaser {target!r} to link to")


def _inline_html(outlet: Outlet, text: str) -> tuple[str, str]:
    """(plain text, html) of a paragraph written with [text](target) links."""
    plain, parts, pos = [], [], 0
    for m in _LINK.finditer(text):
        plain.append(text[pos : m.start()] + m[1])
        parts.append(esc(text[pos : m.start()]))
        parts.append(outlet.link.format(href=attr(_resolve(outlet, m[2])), text=esc(m[1])))
        pos = m.end()
    plain.append(text[pos:])
    parts.append(esc(text[pos:]))
    return "".join(plain), "".join(parts)


def _blocks(outlet: Outlet, story: Story) -> tuple[Block, ...]:
    blocks = []
    for raw in story.blocks:
        kind, text = "p", raw
        for prefix, name in (("### ", "h3"), ("## ", "h2"), ("> ", "quote")):
            if raw.startswith(prefix):
                kind, text = name, raw[len(prefix) :]
                break
        plain, markup = _inline_html(outlet, text)
        blocks.append(Block(kind, plain, markup))
    return tuple(blocks)


def _card(outlet: Outlet, item: Teaser) -> Card:
    path = story_path(outlet, item)
    return Card(item.title, item.blurb, outlet.href(path), outlet.when(item.date), item.section)


def pages(outlet: Outlet) -> list[Page]:
    """One Page per story. Each card is shown on exactly two pages, so no teaser recurs on three pages
    (template memory must not be what removes them: a real read-next stream changes with every article)."""
    n, m = len(outlet.stories), len(outlet.teasers)
    assert m * 2 >= n * 3, "each page takes three teasers; with fewer, some would show on three pages"
    result = []
    for i, story in enumerate(outlet.stories):
        blocks = _blocks(outlet, story)
        paragraphs = [k for k, b in enumerate(blocks) if b.kind == "p"]
        siblings = [_card(outlet, outlet.stories[(i + step) % n]) for step in (1, 5)]
        extras = [_card(outlet, outlet.teasers[(3 * i + k) % m]) for k in range(3)]
        path = story_path(outlet, story)
        result.append(
            Page(
                outlet=outlet,
                index=i,
                story=story,
                path=path,
                url=BASE + path,
                published=outlet.when(story.date),
                blocks=blocks,
                inline_at=paragraphs[1] + 1,
                inline=extras[2],
                stream=(siblings[0], extras[0], siblings[1], extras[1]),
            )
        )
    return result


def outlet_feed(outlet: Outlet, limit: int | None = None) -> str:
    """The outlet's RSS or Atom feed listing its first `limit` stories (all by default)."""
    items = outlet.stories[:limit]
    if outlet.feed_format == "atom":
        return _atom(outlet, items)
    return _rss(outlet, items)


def _rss(outlet: Outlet, stories: tuple[Story, ...]) -> str:
    items = "".join(
        f"\n  <item><title>{esc(s.title)}</title><link>{BASE}{story_path(outlet, s)}</link>"
        f'<guid isPermaLink="true">{BASE}{story_path(outlet, s)}</guid>'
        f"<pubDate>{outlet.when(s.date):%a, %d %b %Y %H:%M:%S %z}</pubDate>"
        f"<dc:creator>{esc(s.author)}</dc:creator><category>{esc(s.section)}</category>"
        f"<description>{esc(s.blurb)}</description></item>"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{esc(outlet.title)}</title><link>{BASE}/</link>"
        f"<description>Latest stories from {esc(outlet.title)}</description>{items}\n</channel></rss>\n"
    )


def _atom(outlet: Outlet, stories: tuple[Story, ...]) -> str:
    updated = max((outlet.when(s.date) for s in stories), default=datetime(2024, 1, 1, tzinfo=timezone.utc))
    entries = "".join(
        f'\n  <entry><title>{esc(s.title)}</title><link rel="alternate" href="{BASE}{story_path(outlet, s)}"/>'
        f"<id>{BASE}{story_path(outlet, s)}</id><published>{outlet.when(s.date).isoformat()}</published>"
        f"<updated>{outlet.when(s.date).isoformat()}</updated><author><name>{esc(s.author)}</name></author>"
        f"<summary>{esc(s.blurb)}</summary></entry>"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{esc(outlet.title)}</title><id>{BASE}/</id><updated>{updated.isoformat()}</updated>'
        f'<link rel="self" href="{BASE}{outlet.feed_path}"/>{entries}\n</feed>\n'
    )


def _card_fields(card: Card) -> dict[str, object]:
    return {
        "href": attr(card.href),
        "title": esc(card.title),
        "blurb": esc(card.blurb),
        "section": esc(card.section),
        "section_title": esc(card.section.title()),
        "published": card.published,
        "iso": card.published.isoformat(),
    }


def render(page: Page) -> str:
    """The page's HTML: its outlet's template filled in with the story, its cards and its menu."""
    o, s, t = page.outlet, page.story, page.outlet.template
    common = {"base": BASE, **t.fields(page)}

    def fill(pattern: str, **values: object) -> str:
        return pattern.format(**common, **values)

    chunks: list[list[str]] = [[]]
    for k, block in enumerate(page.blocks):
        if block.kind == "p":
            piece = fill(t.paragraph, html=block.html)
        elif block.kind == "quote":
            piece = fill(t.quote, html=block.html)
        else:
            piece = fill(t.heading, kind=block.kind, html=block.html)
        if k == page.inline_at:
            piece = fill(t.inline, **_card_fields(page.inline)) + t.chunk_sep + piece
        if len(chunks[-1]) >= t.chunk_size:
            chunks.append([])
        chunks[-1].append(piece)
    body = "\n".join(fill(t.chunk, pieces=t.chunk_sep.join(chunk)) for chunk in chunks)
    return fill(
        t.page,
        title=esc(s.title),
        title_attr=attr(s.title),
        blurb_attr=attr(s.blurb),
        author=esc(s.author),
        author_attr=attr(s.author),
        author_slug=slugify(s.author),
        section=esc(s.section),
        section_attr=attr(s.section),
        section_slug=slugify(s.section),
        section_title=esc(s.section.title()),
        slug=s.slug,
        url=page.url,
        iso=page.published.isoformat(),
        published=page.published,
        host=o.host,
        feed_path=o.feed_path,
        template_line=esc(o.template_line),
        json_ld=json_ld(page),
        nav="".join(fill(t.nav_item, name=esc(name), slug=slugify(name)) for name in t.nav),
        body=body,
        tags=t.tag_sep.join(fill(t.tag, text=esc(tag), slug=slugify(tag)) for tag in s.tags),
        cards=t.card_sep.join(fill(t.card, **_card_fields(card)) for card in page.stream),
        side="".join(fill(t.side_item, n=n, **_card_fields(card)) for n, card in enumerate(sidebar(page), 1)),
    )


def site_pages(outlet: Outlet, feed_limit: int | None = None, base: str = BASE) -> dict[str, str]:
    """Every article page and the feed, by path; `base` replaces BASE (keep it for SiteServer)."""
    site = {page.path: render(page) for page in pages(outlet)}
    site[outlet.feed_path] = outlet_feed(outlet, feed_limit)
    return {path: body.replace(BASE, base) for path, body in site.items()}


def sidebar(page: Page) -> list[Card]:
    """Cards for a most-read or recent-posts list: other stories than the page's own cards show."""
    stories = page.outlet.stories
    return [_card(page.outlet, stories[(page.index + step) % len(stories)]) for step in (2, 3, 4)]


def json_ld(page: Page) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": page.story.title,
        "datePublished": page.published.isoformat(),
        "author": {"@type": "Person", "name": page.story.author},
        "publisher": {"@type": "Organization", "name": page.outlet.title},
        "mainEntityOfPage": page.url,
    }
    return '<script type="application/ld+json">' + json.dumps(data, ensure_ascii=False) + "</script>"


# ---------------------------------------------------------------- ground truth


def body_sentences(page_html: str) -> list[str]:
    """Sentences of the data-body elements (paragraphs, subheadings, quotes), whitespace squashed."""
    tree = lxml.html.fromstring(page_html)
    return [s for element in tree.xpath("//*[@data-body]") for s in sentences(element.text_content())]


def markers(page_html: str, attribute: str) -> list[str]:
    """Lines of the elements marked with `attribute`: the text of each element in them, and its sentences."""
    tree = lxml.html.fromstring(page_html)
    lines: dict[str, None] = {}
    for marked in tree.xpath(f"//*[@{attribute}]"):
        for element in marked.iter():
            if not isinstance(element.tag, str) or element.tag in ("script", "style"):
                continue
            text = squash(element.text_content())
            if text:
                lines[text] = None
                lines.update(dict.fromkeys(sentences(text)))
    return list(lines)


def _unmarked_texts(tree: lxml.html.HtmlElement, attributes: tuple[str, ...]) -> set[str]:
    """Texts of elements outside every marked block: a card's "World" label is no leak when the menu says it too."""
    marked = {id(e) for a in attributes for m in tree.xpath(f"//*[@{a}]") for e in m.iter()}
    return {squash(e.text_content()) for e in tree.iter() if isinstance(e.tag, str) and id(e) not in marked}


def leaks(page_html: str, text: str, attributes: tuple[str, ...] = MARKERS) -> list[str]:
    """The marked lines found in a page's extracted `text`, smallest first.

    A line leaks when it is a whole line of the text, or, with four words or more, is anywhere in it
    (extraction may glue a teaser to another line)."""
    tree = lxml.html.fromstring(page_html)
    ignore = _unmarked_texts(tree, (*attributes, "data-template-chrome"))
    stored_lines = {squash(line) for line in text.split("\n")}
    flat = squash(text)
    found = [
        line
        for attribute in attributes
        for line in markers(page_html, attribute)
        if line not in ignore and (line in stored_lines or (len(line.split()) >= 4 and line in flat))
    ]
    found = list(dict.fromkeys(found))
    # report the parts, not also the block that holds them
    return [line for line in found if not any(other != line and other in line for other in found)]


def missing_sentences(page_html: str, text: str) -> list[str]:
    """The body sentences not in `text`; a subheading must be a line of its own (else "Counting containers"
    would pass as part of the paragraph that starts with those words)."""
    flat = squash(text)
    lines = {squash(line) for line in text.split("\n")}
    missing = []
    for element in lxml.html.fromstring(page_html).xpath("//*[@data-body]"):
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            heading = squash(element.text_content())
            missing.extend([heading] if heading not in lines else [])
        else:
            missing.extend(s for s in sentences(element.text_content()) if s not in flat)
    return missing


def check(outlet: Outlet) -> list[str]:
    """What in the outlet's pages breaks the rules the fixtures promise (empty when all is well)."""
    problems = []
    story_dates = {s.date[:10] for s in outlet.stories}
    for teaser in outlet.teasers:
        if teaser.date[:10] in story_dates:
            problems.append(f"{outlet.name}: teaser {teaser.slug} shares a date with a story")
    if sum(bool(RUSSIA_WORDS.search(t.blurb + t.title)) for t in outlet.teasers) < 3:
        problems.append(f"{outlet.name}: fewer than three teasers mention Russia or troops")
    site = site_pages(outlet)
    # a body sentence on two pages would be fair game for template memory
    seen: dict[str, str] = {}
    for path in outlet_paths(outlet):
        for sentence in set(body_sentences(site[path])):
            if sentence in seen:
                problems.append(f"{outlet.name}: {sentence!r} is on {seen[sentence]} and {path}")
            seen[sentence] = path
    for page in pages(outlet):
        where = f"{outlet.name} {page.path}"
        page_html = site[page.path]
        words = sum(len(b.text.split()) for b in page.blocks)
        paragraphs = [b for b in page.blocks if b.kind == "p"]
        if not 250 <= words <= 600:
            problems.append(f"{where}: {words} words")
        if not 5 <= len(paragraphs) <= 10:
            problems.append(f"{where}: {len(paragraphs)} paragraphs")
        if not any(b.kind in ("h2", "h3") for b in page.blocks):
            problems.append(f"{where}: no subheading")
        if not any(b.kind == "quote" for b in page.blocks):
            problems.append(f"{where}: no block quote")
        if not any(_link_mid_sentence(raw) for raw in page.story.blocks if not raw.startswith(("#", ">"))):
            problems.append(f"{where}: no paragraph with a link in mid-sentence")
        if not any(len(sentences(b.text)) == 1 and 8 <= len(b.text.split()) <= 15 for b in paragraphs):
            problems.append(f"{where}: no short one-sentence paragraph")
        if page_html.count(esc(outlet.template_line)) != 1:
            problems.append(f"{where}: the template line is not there exactly once")
        body = squash(" ".join(b.text for b in page.blocks))
        for attribute in MARKERS:
            for line in markers(page_html, attribute):
                if len(line.split()) >= 4 and line in body:
                    problems.append(f"{where}: marked line {line!r} is also body text")
        for sentence in body_sentences(page_html):
            if sentence.endswith(("…", "...")):
                problems.append(f"{where}: body sentence ends in an ellipsis: {sentence!r}")
    return problems


def _link_mid_sentence(raw: str) -> bool:
    """A [link](target) with words before it and after it."""
    return any(raw[: m.start()].strip() and raw[m.end() :].strip(" .,;") for m in _LINK.finditer(raw))


# ---------------------------------------------------------------- The Harbour Ledger: div soup, generic class names
# (its inline teaser box has no label: just a headline and a line of teaser between two paragraphs)


def _ledger_path(section: str, when: datetime, slug: str) -> str:
    return f"/{section}/{when:%Y/%m/%d}/{slug}"


# ---------------------------------------------------------------- The Meridian Post: semantic HTML5


def _meridian_path(section: str, when: datetime, slug: str) -> str:
    return f"/asia/korea/{when:%Y-%m-%d}/{slug}"


# ---------------------------------------------------------------- The Tumen Dispatch: WordPress theme with Jetpack blocks


def _dispatch_path(section: str, when: datetime, slug: str) -> str:
    return f"/{when:%Y/%m/%d}/{slug}/"


def _dispatch_fields(page: Page) -> dict[str, object]:
    """WordPress's post id and tag classes, which this theme writes on the body and the article."""
    return {"post_id": 4100 + 7 * page.index, "tag_classes": " ".join(f"tag-{slugify(t)}" for t in page.story.tags)}


# ---------------------------------------------------------------- the outlets: data files, markup from above

# Each outlet's stories, teasers, plain values and markup patterns are in tests/data/outlets/<name>.json.
HARBOUR_LEDGER = load_outlet(
    DATA / "harbour-ledger.json",
    _ledger_path,
    link='<a class="x-lnk" href="{href}">{text}</a>',
)
MERIDIAN_POST = load_outlet(DATA / "meridian-post.json", _meridian_path)
TUMEN_DISPATCH = load_outlet(DATA / "tumen-dispatch.json", _dispatch_path, _dispatch_fields)


# ---------------------------------------------------------------- the API the tests use

_REGISTERED: dict[str, Outlet] = {}


def register(*outlets: Outlet) -> tuple[str, ...]:
    """Make the outlets known to the functions below by name (bench/outlets_holdout.py adds its own); their names."""
    _REGISTERED.update((o.name, o) for o in outlets)
    return tuple(o.name for o in outlets)


OUTLETS = register(HARBOUR_LEDGER, MERIDIAN_POST, TUMEN_DISPATCH)


def outlet(name: str) -> Outlet:
    return _REGISTERED[name]


def build_site(name: str, feed_limit: int | None = None, base: str = BASE) -> dict[str, str]:
    """Every article page and the feed of outlet `name`, by path (the feed lists the first `feed_limit`)."""
    return site_pages(_REGISTERED[name], feed_limit, base)


def feed(name: str, limit: int | None = None) -> str:
    return outlet_feed(_REGISTERED[name], limit)


def article_paths(name: str) -> list[str]:
    return outlet_paths(_REGISTERED[name])
