"""Synthetic news sites of any size, for tests and benchmarks: realistic markup, unique texts, a feed.

Each page carries the furniture real outlets have (navigation, inline ad markers, a related-news
block, a comment form, a tags footer) so extraction and cleaning do real work.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

WORDS = (
    "officials government ministry report sources said week region border city province workers company "
    "construction trade agreement talks delegation statement country economy sanctions port railway harvest "
    "market energy grain prices committee council parliament election campaign court ruling police river bridge "
    "school hospital winter summer spring autumn village capital north south east west factory plant shipment "
    "cargo budget deficit exports imports analysts experts interview broadcast newspaper agency channel program"
).split()


@dataclass(frozen=True)
class SyntheticArticle:
    path: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    author: str = "Staff Reporter"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class SyntheticSite:
    """Pages keyed by path, ready for `SiteServer.put`; `{{BASE}}` stands for the server's base URL."""

    articles: list[SyntheticArticle] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)


def sentence(rng: random.Random, words: int) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return body[0].upper() + body[1:] + "."


def make_article(rng: random.Random, path: str, published: datetime, words: int = 400) -> SyntheticArticle:
    paragraphs: list[str] = []
    count = 0
    while count < words:
        para = " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 4)))
        paragraphs.append(para)
        count += len(para.split())
    title = sentence(rng, rng.randint(6, 10)).rstrip(".")
    return SyntheticArticle(path, title, tuple(paragraphs), published)


def article_page(article: SyntheticArticle, canonical: str | None = None) -> str:
    """A full article page: the body paragraphs among the usual page furniture."""
    esc = html.escape
    canonical = canonical or "{{BASE}}" + article.path
    body = []
    for i, para in enumerate(article.paragraphs):
        body.append(f"<p>{esc(para)}</p>")
        if i == 1:
            body.append('<div class="ad-slot"><p>ADVERTISEMENT</p></div>')
    nav = "".join(f'<li><a href="/section/{w}/">{w.title()}</a></li>' for w in WORDS[:12])
    related = "".join(
        f'<li><a href="/related/{i}.html">{esc(w.title())} ministry reviews {esc(w)} plans</a></li>'
        for i, w in enumerate(WORDS[20:25])
    )
    published = article.published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(article.title)} | The Synthetic Times</title>
<link rel="canonical" href="{canonical}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(article.title)}">
<meta name="author" content="{esc(article.author)}">
<meta property="article:published_time" content="{published}">
</head><body>
<header><a href="/">The Synthetic Times</a><nav><ul>{nav}</ul></nav></header>
<main><article>
<h1>{esc(article.title)}</h1>
<p class="byline">By {esc(article.author)} &middot; <time datetime="{published}">{article.published:%d %B %Y}</time></p>
{"".join(body)}
</article>
<aside class="related"><h2>More Related News</h2><ul>{related}</ul></aside>
<section class="comments"><h3>Leave a Comment</h3>
<form><p>Your email address will not be published. Required fields are marked *</p>
<textarea name="comment"></textarea><a href="#">Cancel reply</a></form></section>
</main>
<footer><p>Tags: <a href="/tag/a/">economy</a>, <a href="/tag/b/">trade</a></p>
<p>&copy; 2026 The Synthetic Times. All rights reserved.</p></footer>
</body></html>
"""


def rss_feed(articles: list[SyntheticArticle], title: str = "The Synthetic Times") -> str:
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{{{{BASE}}}}{a.path}</link>"
        f"<pubDate>{a.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
        for a in articles
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def build_site(count: int, seed: int = 7, prefix: str = "/news", words: int = 400) -> SyntheticSite:
    """`count` articles under `prefix`, an RSS feed at `prefix`/feed.rss listing them all."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    site = SyntheticSite()
    for i in range(count):
        article = make_article(rng, f"{prefix}/{i + 1}.html", start + timedelta(hours=i), words)
        site.articles.append(article)
        site.pages[article.path] = article_page(article)
    site.pages[f"{prefix}/feed.rss"] = rss_feed(site.articles)
    return site
