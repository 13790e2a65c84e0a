"""Hostile documents for tests and benchmarks: entity bombs, external entities, gzip bombs, sitemap
loops, pages that are huge, deep or slow to extract, and the real articles listed among them.

`{{BASE}}` in a document stands for the serving SiteServer's base URL, as in synthetic.py.
"""

from __future__ import annotations

import html
import uuid
import zlib
from pathlib import Path

from newswatch.demo.synthetic import article_page, build_site

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

# &lol9; is 10**9 "lol"s: about 3 GB once expanded.
LAUGHS = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]


def serve_articles(server, prefix: str, count: int, seed: int = 7) -> list[str]:
    """`count` synthetic article pages under `prefix` on `server` (a SiteServer); their URLs."""
    synthetic = build_site(count, seed=seed, prefix=prefix)
    for article in synthetic.articles:
        server.put(article.path, article_page(article))
    return [server.url(a.path) for a in synthetic.articles]


def redirect(status: int, location: str):
    """A SiteServer route answering `status` with `location`, e.g. to file: or to an internal host."""

    def handler(request) -> None:
        request.send_response(status)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handler


def feed(*links: str) -> str:
    """An RSS feed with one item a link."""
    items = "".join(f"<item><title>t</title><link>{html.escape(link)}</link></item>" for link in links)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>"


def rss(head: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS feed after `head` (a doctype()) with (title, description, link) items, none escaped: entity
    references in them stay references."""
    entries = "".join(
        f"<item><title>{title}</title><description>{description}</description><link>{link}</link></item>"
        for title, description, link in items
    )
    return f'{head}<rss version="2.0"><channel><title>Hostile feed</title>{entries}</channel></rss>'


def sitemap_index(*locs: str) -> str:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f"<?xml version='1.0'?><sitemapindex xmlns='{SITEMAP_NS}'>{entries}</sitemapindex>"


def urlset(head: str, locs: list[str]) -> str:
    """A sitemap of page URLs after `head` (a doctype(), or "")."""
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return f'{head}<urlset xmlns="{SITEMAP_NS}">{entries}</urlset>'


def doctype(root: str, declarations: list[str], layout: str, system_id: str | None = None) -> str:
    """An XML declaration plus a DOCTYPE with internal `declarations`: "multiline" (one a line), or
    "oneline", which feedparser's line-anchored DOCTYPE scrubber leaves to the XML parser itself."""
    external = f' SYSTEM "{system_id}"' if system_id else ""
    if layout == "multiline":
        body = "\n".join(f"  {d}" for d in declarations)
        return f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE {root}{external} [\n{body}\n]>\n'
    assert layout == "oneline"
    return f'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE {root}{external} [{"".join(declarations)}]>'


def secret_file(folder: Path) -> tuple[str, Path]:
    """A file only an external entity could bring into a crawl: its content (a unique marker), its path."""
    marker = "NWXXE" + uuid.uuid4().hex
    path = folder / "secret.txt"
    path.write_text(marker, encoding="utf-8")  # no newline: an expanded link would be a clean, fetchable path
    return marker, path.resolve()


def xxe_declarations(secret: Path) -> list[str]:
    return [f'<!ENTITY secret SYSTEM "file://{secret}">', '<!ENTITY passwd SYSTEM "file:///etc/passwd">']


def xxe_links(prefix: str) -> list[str]:
    return [f"{{{{BASE}}}}{prefix}/&secret;.html", "&secret;", "&passwd;", f"{{{{BASE}}}}{prefix}/p/&passwd;"]


def laugh_links(prefix: str) -> list[str]:
    """&lol2; (300 "lol"s) is short enough for a URL that would be fetched and stored."""
    return [f"{{{{BASE}}}}{prefix}/&lol2;.html", "&lol9;", "&lol2;"]


def gzip_bomb(inflated_mb: int) -> bytes:
    """A gzip sitemap inflating to about `inflated_mb` MB, compressed a chunk at a time (never held inflated)."""
    chunk = b"<url><loc>http://127.0.0.1/bomb/page.html</loc></url>" * 20_000  # 1.08 MB
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [squeeze.compress(f"<?xml version='1.0'?><urlset xmlns='{SITEMAP_NS}'>".encode())]
    parts += [squeeze.compress(chunk) for _ in range(inflated_mb * 1_000_000 // len(chunk))]
    return b"".join(parts) + squeeze.flush()


def tagless_page(mb: int) -> bytes:
    """About `mb` MB of text without a single tag."""
    return b"North Korea " * (mb * 1_000_000 // 12)


def nested_page(depth: int) -> str:
    """A word inside `depth` nested divs."""
    return "<html><body>" + "<div>" * depth + "Pyongyang" + "</div>" * depth + "</body></html>"


def slow_page(paragraphs: int = 20_000) -> str:
    """Valid HTML (about 2 MB at the default) that takes trafilatura ten seconds or more: paragraphs that
    each hold a link."""
    body = "".join(
        f'<p>North Korean troops in Russia, paragraph {i}, <a href="/n/{i}.html">report {i}</a> and more.</p>'
        for i in range(paragraphs)
    )
    return f"<html><head><title>slow</title></head><body><article>{body}</article></body></html>"
