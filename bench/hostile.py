"""Hostile sources next to a normal one, in one real `newswatch crawl`; then a fuzz of the listing parsers
and the extractor.

The crawl. A child process (its own GIL and heap) serves, from loopback servers, one normal source
(build_site: 5 articles and their feed) and one source per hostile case, on the "public" host 127.0.0.1
unless said otherwise:
  bomb      a sitemap.xml.gz of about 3 MB that inflates to about 1 GB (built streaming with
            zlib.compressobj, never held inflated);
  schemes   a feed mixing file:, ftp:, data:, javascript:, mailto: links, a port out of range and a
            redirect to file: with two valid links;
  internal  a feed on the public host linking to an article on 127.0.0.8, directly and by a redirect;
            the config declares 127.0.0.8/32 the only private network;
  laughs    billion laughs in two feeds (the DOCTYPE pretty-printed and on one line);
  xxe       external entities (a local secret file, /etc/passwd) in two sitemaps, same two layouts;
  loop      a sitemap index that lists itself;
  deep      a chain of sitemap indexes 7 deep (the limit is 5), the urlset at the bottom;
  tagless   a 40 MB page of text without a tag, served as text/html, linked from a feed;
  nested    a page of 100,000 nested divs, linked from a feed;
  slow      a page of 40,000 paragraphs each holding a link (about 4 MB; trafilatura needs ~20 s).
The crawl is one `newswatch crawl --config CONFIG --quiet` subprocess over all of them with the
default config, except download_delay = 0 and autothrottle = false (every source is on loopback).
While it runs, the SQLite file is polled (read-only) every 0.1 s for the normal source's articles
and the crawl's process tree is sampled for its RSS (VmRSS summed over the process and its
descendants). Printed: seconds from start until the normal source's articles are all stored
(target <= 10 s), wall time, peak RSS (target <= 500 MB) and the RSS second by second, when each
page settled (first seen in the urls table by the same polling: what held up whom), and each source's
counted reasons (`errors` and `skipped` of its last source_runs row) and message, checked against what
tests/test_hostile.py and tests/test_hostile_xml.py expect (or, for the cases no test covers, against
what the config implies).

The fuzz (hypothesis, in this process, while the child builds its pages): @given with
settings(max_examples=--examples, deadline=None, database=None), generation only, for
crawler.spiders.feed.feed_links (feed-like XML, random bytes), crawler.spiders.sitemap.sitemap_links
(sitemap-like XML, random bytes, gzip of both, truncated gzip) and extractors.article.Extractor().extract
(HTML fragments and pages). Expected exceptions are the declared ones (MalformedFeed, MalformedSitemap,
SitemapTooLarge); anything else is a crash (target 0), collected, not raised. Each crash is printed with
what the crawl does with it, its smallest input reduced by deleting chunks while the same crash recurs
(REDUCE_SECONDS), and a short repr of the shortest inputs that raised it (--all-inputs: every one).

Run:  .venv/bin/python bench/hostile.py [--examples 300] [--seed N] [--no-crawl] [--no-fuzz]
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

REPO = Path(__file__).resolve().parent.parent
PUBLIC = "127.0.0.1"
INTERNAL = "127.0.0.8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

NORMAL_ARTICLES = 5
BOMB_ENTRY = b"<url><loc>http://127.0.0.1/bomb/page.html</loc></url>"
BOMB_CHUNK = 20_000  # entries a chunk: 1.08 MB
BOMB_CHUNKS = 926  # about 1 GB inflated
TAGLESS_BYTES = 40_000_000
NESTED_DIVS = 100_000
SLOW_PARAGRAPHS = 40_000
PASSWD_MARKER = "root:x:0:0"
LOL = "lol" * 1000
LOL_IN_A_LINK = "lol" * 100
LAUGHS = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]

TARGET_NORMAL_SECONDS = 10.0
TARGET_RSS_MB = 500.0
CRAWL_TIMEOUT = 150.0  # seconds; the crawl's process group is killed past it
POLL_EVERY = 0.1
SHOW_INPUTS = 5  # crashing inputs listed a crash (the shortest), unless --all-inputs
REDUCE_SECONDS = 3.0  # spent shrinking the smallest input of each crash

# The order of [[sources]] in the config: the normal source last, so it has no head start.
HOSTILE = ("bomb", "schemes", "internal", "laughs", "xxe", "loop", "deep", "tagless", "nested", "slow")


# -- the servers (the child process) ---------------------------------------------------------------------


def respond(status: int, headers: dict[str, str]):
    def handler(request):
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handler


def put_articles(server, prefix: str, count: int, seed: int) -> list[str]:
    """`count` synthetic article pages under `prefix`; their URLs. Seeds differ, so no text is a duplicate."""
    from newswatch.demo.synthetic import article_page, build_site

    site = build_site(count, seed=seed, prefix=prefix)
    for article in site.articles:
        server.put(article.path, article_page(article))
    return [server.url(a.path) for a in site.articles]


def feed(*links: str) -> str:
    items = "".join(f"<item><title>t</title><link>{html.escape(link)}</link></item>" for link in links)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>"


def sitemap_index(*locs: str) -> str:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f"<?xml version='1.0'?><sitemapindex xmlns='{SITEMAP_NS}'>{entries}</sitemapindex>"


def doctype(root: str, declarations: list[str], layout: str) -> str:
    """As tests/test_hostile_xml.py: "multiline" (one declaration a line) or "oneline" (which
    feedparser's line-anchored DOCTYPE scrubber leaves to the XML parser)."""
    if layout == "multiline":
        body = "\n".join(f"  {d}" for d in declarations)
        return f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE {root} [\n{body}\n]>\n'
    return f'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE {root} [{"".join(declarations)}]>'


def gzip_bomb() -> bytes:
    """A gzip sitemap inflating to BOMB_CHUNKS × 1.08 MB, compressed chunk by chunk (never held inflated)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [squeeze.compress(f"<?xml version='1.0'?><urlset xmlns='{SITEMAP_NS}'>".encode())]
    chunk = BOMB_ENTRY * BOMB_CHUNK
    parts += [squeeze.compress(chunk) for _ in range(BOMB_CHUNKS)]
    return b"".join(parts) + squeeze.flush()


def slow_page(paragraphs: int = SLOW_PARAGRAPHS) -> str:
    """As tests/test_hostile.py's slow_page: valid HTML, paragraphs that each hold a link."""
    body = "".join(
        f'<p>North Korean troops in Russia, paragraph {i}, <a href="/n/{i}.html">report {i}</a> and more.</p>'
        for i in range(paragraphs)
    )
    return f"<html><head><title>slow</title></head><body><article>{body}</article></body></html>"


def nested_page(depth: int = NESTED_DIVS) -> str:
    words = "Officials said the talks on the border railway would resume next week. " * 20
    return f"<html><head><title>nested</title></head><body>{'<div>' * depth}<p>{words}</p>{'</div>' * depth}</body></html>"


def tagless_page(size: int = TAGLESS_BYTES) -> bytes:
    line = b"officials said the talks on the border railway would resume next week and the harvest "
    return (line * (size // len(line) + 1))[:size]


def build(public, internal, folder: Path) -> dict:
    """Every page on the two servers; the sources (name -> feeds / sitemaps) and what the checks need."""
    from newswatch.demo.synthetic import build_site

    sources: dict[str, dict[str, list[str]]] = {}
    facts: dict = {}

    normal = build_site(NORMAL_ARTICLES, seed=1, prefix="/normal")
    for path, body in normal.pages.items():
        public.put(path, body)
    sources["normal"] = {"feeds": [public.url("/normal/feed.rss")]}
    facts["normal"] = [public.url(a.path) for a in normal.articles]

    bomb = gzip_bomb()
    public.put("/bomb/sitemap.xml.gz", bomb, "application/gzip")
    sources["bomb"] = {"sitemaps": [public.url("/bomb/sitemap.xml.gz")]}
    facts["bomb_bytes"] = len(bomb)
    facts["bomb_inflated"] = BOMB_CHUNKS * BOMB_CHUNK * len(BOMB_ENTRY)

    valid = put_articles(public, "/schemes", 2, seed=2)
    public.route("/schemes/to-file.html", respond(302, {"Location": "file:///etc/passwd"}))
    hostile = [
        "file:///etc/passwd",
        "ftp://127.0.0.1/secret",
        "data:text/html,<p>North Korea</p>",
        "javascript:alert(1)",
        "mailto:tips@example.org",
        "http://127.0.0.1:99999/bad-port",
    ]
    public.put("/schemes/feed.rss", feed(hostile[0], valid[0], *hostile[1:], public.url("/schemes/to-file.html"), valid[1]))
    sources["schemes"] = {"feeds": [public.url("/schemes/feed.rss")]}
    facts["schemes"] = valid
    facts["schemes_bad"] = len(hostile)

    visible = put_articles(public, "/internal", 1, seed=3)
    secret = put_articles(internal, "/admin", 1, seed=4)
    public.route("/internal/moved.html", respond(301, {"Location": secret[0]}))
    public.put("/internal/feed.rss", feed(visible[0], secret[0], public.url("/internal/moved.html")))
    sources["internal"] = {"feeds": [public.url("/internal/feed.rss")]}
    facts["internal"] = visible

    laughs_feeds, laughs_valid = [], []
    for n, layout in enumerate(("multiline", "oneline")):
        prefix = f"/laughs-{layout}"
        ok = put_articles(public, prefix, 1, seed=10 + n)
        laughs_valid += ok
        items = "".join(
            f"<item><title>{title}</title><description>{text}</description><link>{link}</link></item>"
            for title, text, link in [
                ("&lol9;", "&lol9;", f"{{{{BASE}}}}{prefix}/&lol2;.html"),
                ("Fine", "&lol9;", ok[0]),
                ("&lol9;", "&lol9;", "&lol9;"),
                ("&lol2;", "&lol2;", "&lol2;"),
            ]
        )
        body = f'{doctype("rss", LAUGHS, layout)}<rss version="2.0"><channel><title>Laughs</title>{items}</channel></rss>'
        public.put(f"{prefix}/feed.rss", body)
        laughs_feeds.append(public.url(f"{prefix}/feed.rss"))
    sources["laughs"] = {"feeds": laughs_feeds}
    facts["laughs"] = laughs_valid

    marker = "NWXXE" + uuid.uuid4().hex
    secret_file = folder / "secret.txt"
    secret_file.write_text(marker, encoding="utf-8")
    declarations = [f'<!ENTITY secret SYSTEM "file://{secret_file.resolve()}">', '<!ENTITY passwd SYSTEM "file:///etc/passwd">']
    xxe_maps, xxe_valid = [], []
    for n, layout in enumerate(("multiline", "oneline")):
        prefix = f"/xxe-{layout}"
        ok = put_articles(public, prefix, 2, seed=20 + n)
        xxe_valid += ok
        locs = [f"{{{{BASE}}}}{prefix}/&secret;.html", ok[0], "&secret;", "&passwd;", f"{{{{BASE}}}}{prefix}/p/&passwd;", ok[1]]
        entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
        public.put(f"{prefix}/sitemap.xml", f'{doctype("urlset", declarations, layout)}<urlset xmlns="{SITEMAP_NS}">{entries}</urlset>')
        xxe_maps.append(public.url(f"{prefix}/sitemap.xml"))
    sources["xxe"] = {"sitemaps": xxe_maps}
    facts["xxe"] = xxe_valid
    facts["marker"] = marker

    public.put("/loop/index.xml", sitemap_index(public.url("/loop/index.xml")))
    sources["loop"] = {"sitemaps": [public.url("/loop/index.xml")]}

    deep = put_articles(public, "/deep", 1, seed=30)
    for level in range(7):
        public.put(f"/deep/level{level}.xml", sitemap_index(public.url(f"/deep/level{level + 1}.xml")))
    public.put("/deep/level7.xml", f"<urlset xmlns='{SITEMAP_NS}'><url><loc>{deep[0]}</loc></url></urlset>")
    sources["deep"] = {"sitemaps": [public.url("/deep/level0.xml")]}

    for name, body in (("tagless", tagless_page()), ("nested", nested_page()), ("slow", slow_page())):
        public.put(f"/{name}/page.html", body, "text/html; charset=utf-8")
        public.put(f"/{name}/feed.rss", feed(public.url(f"/{name}/page.html")))
        sources[name] = {"feeds": [public.url(f"/{name}/feed.rss")]}
        facts[f"{name}_bytes"] = len(body.encode() if isinstance(body, str) else body)
    facts["internal_base"] = internal.base_url
    return {"sources": sources, "facts": facts}


def serve_forever(folder: str) -> None:
    """The child process: builds and serves every page, prints them as one JSON line, serves until its
    stdin closes, then prints what was asked of each server as one more JSON line."""
    from contextlib import ExitStack

    from newswatch.demo.server import SiteServer

    failures: Counter[str] = Counter()

    def quiet(server: SiteServer) -> SiteServer:
        # A download the crawl cancels (the 40 MB page) breaks the server's pipe: count it, print nothing.
        server._httpd.handle_error = lambda request, address: failures.update([type(sys.exc_info()[1]).__name__])
        return server

    with ExitStack() as stack:
        public = stack.enter_context(quiet(SiteServer(root=None, host=PUBLIC)))
        internal = stack.enter_context(quiet(SiteServer(root=None, host=INTERNAL)))
        print(json.dumps(build(public, internal, Path(folder))), flush=True)
        sys.stdin.read()
        print(json.dumps({"public": dict(public.hits), "internal": dict(internal.hits), "failures": dict(failures)}), flush=True)


class Farm:
    """The servers in a child process, started at once (the bomb takes seconds to build)."""

    def __init__(self, folder: Path):
        self.child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
        )

    def ready(self) -> dict:
        line = self.child.stdout.readline()
        if not line:
            raise SystemExit(f"the server process exited with {self.child.wait()}")
        return json.loads(line)

    def stop(self) -> dict:
        self.child.stdin.close()
        hits = json.loads(self.child.stdout.readline() or "{}")
        self.child.wait(timeout=30)
        return hits


# -- the crawl ---------------------------------------------------------------------------------------------


def config_text(db: Path, sources: dict[str, dict[str, list[str]]]) -> str:
    text = (
        f'[storage]\ndatabase = "{db}"\n\n'
        "[crawl]\ndownload_delay = 0\nautothrottle = false\n"
        f'private_networks = ["{INTERNAL}/32"]\n'
    )
    for name in (*HOSTILE, "normal"):
        text += f'\n[[sources]]\nname = "{name}"\n'
        for kind, urls in sources[name].items():
            text += f"{kind} = {json.dumps(urls)}\n"
    return text


def descendants(root: int) -> list[int]:
    """`root` and its live descendants, from /proc/*/stat."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def tree_rss(root: int) -> tuple[int, int]:
    """Bytes of VmRSS summed over `root` and its descendants; how many processes."""
    total, processes = 0, 0
    for pid in descendants(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
                processes += 1
    return total, processes


def poll_db(db: Path, source: str) -> tuple[int, list[tuple[str, str, str, str | None]]]:
    """Articles of `source` in the crawl's database, read-only, and the pages settled so far (url, source,
    kind, reason); 0 and [] while the database (or its tables) do not exist."""
    if not db.exists():
        return 0, []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
        try:
            count = conn.execute("select count(*) from articles where source = ?", (source,)).fetchone()[0]
            pages = conn.execute(
                "select url, source, kind, reason from urls where kind in ('article', 'skipped', 'error')"
            ).fetchall()
            return count, pages
        finally:
            conn.close()
    except sqlite3.Error:
        return 0, []


@dataclass
class CrawlFigures:
    code: int | None
    wall: float
    normal_at: float | None  # seconds from start until every article of the normal source was stored
    peak_rss: int
    rss_by_second: list[int]  # the most RSS seen in each second of the crawl
    peak_processes: int
    peak_at: float
    stderr: list[str]
    settled: dict[str, tuple[float, str, str]]  # page URL -> (seconds after start, source, kind[:reason]), by polling


def run_crawl(config: Path, db: Path, folder: Path) -> CrawlFigures:
    newswatch = Path(sys.executable).parent / "newswatch"
    err = open(folder / "crawl.stderr", "wb")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(newswatch), "crawl", "--config", str(config), "--quiet"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
    )
    normal_at, peak, peak_processes, peak_at = None, 0, 0, 0.0
    by_second: list[int] = []
    settled: dict[str, tuple[float, str, str]] = {}
    tick = started
    try:
        while proc.poll() is None:
            now = time.monotonic() - started
            rss, processes = tree_rss(proc.pid)
            if rss > peak:
                peak, peak_processes, peak_at = rss, processes, now
            second = int(now)
            by_second += [0] * (second + 1 - len(by_second))
            by_second[second] = max(by_second[second], rss)
            count, pages = poll_db(db, "normal")
            for url, source, kind, reason in pages:
                settled.setdefault(url, (now, source, f"{kind}:{reason}" if reason else kind))
            if normal_at is None and count >= NORMAL_ARTICLES:
                normal_at = now
            if now > CRAWL_TIMEOUT:
                os.killpg(proc.pid, signal.SIGKILL)  # the crawl's own group (start_new_session)
                break
            tick = max(tick + POLL_EVERY, time.monotonic())  # no burst of catch-up polls after a slow one
            time.sleep(max(0.0, tick - time.monotonic()))
        code = proc.wait()
    finally:
        err.close()
    wall = time.monotonic() - started
    count, pages = poll_db(db, "normal")
    for url, source, kind, reason in pages:
        settled.setdefault(url, (wall, source, f"{kind}:{reason}" if reason else kind))
    if normal_at is None and count >= NORMAL_ARTICLES:
        normal_at = wall  # stored between the last poll and the exit
    lines = (folder / "crawl.stderr").read_text(errors="replace").splitlines()
    return CrawlFigures(code, wall, normal_at, peak, by_second, peak_processes, peak_at, lines, settled)


def read_results(db: Path) -> tuple[dict[str, dict], dict[str, set[str]], str]:
    """Each source's last source_runs row, its stored article URLs, and every value of the database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        runs = {}
        for row in conn.execute("select * from source_runs where id in (select max(id) from source_runs group by source)"):
            run = dict(row)
            run["errors"], run["skipped"] = json.loads(run["errors"] or "{}"), json.loads(run["skipped"] or "{}")
            runs[run["source"]] = run
        stored: dict[str, set[str]] = defaultdict(set)
        for row in conn.execute("select source, url from articles"):
            stored[row["source"]].add(row["url"])
        values = []
        for (table,) in conn.execute("select name from sqlite_master where type = 'table'").fetchall():
            for row in conn.execute(f'select * from "{table}"'):
                values += [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row if v is not None]
    finally:
        conn.close()
    text = "\n".join(values)
    return runs, stored, text + "\n" + unquote(text)


BASIS = {  # what each source is checked against
    "bomb": "tests/test_hostile.py::test_a_gzip_bomb_sitemap_is_refused_once_it_inflates_past_the_limit",
    "schemes": "tests/test_hostile.py::test_links_that_are_not_http_are_skipped_one_at_a_time",
    "internal": "tests/test_hostile.py::test_discovered_links_into_internal_networks_need_permission[False]",
    "laughs": "tests/test_hostile_xml.py::test_billion_laughs_in_a_feed_does_not_expand",
    "xxe": "tests/test_hostile_xml.py::test_external_entities_in_a_sitemap_are_never_read",
    "loop": "tests/test_hostile.py::test_sitemap_indexes_that_loop_or_nest_too_deep_stop_with_a_reason",
    "deep": "tests/test_hostile.py::test_sitemap_indexes_that_loop_or_nest_too_deep_stop_with_a_reason",
    "tagless": "no test; expected: errors too-large (DOWNLOAD_MAXSIZE = max_page_bytes, 5 MB)",
    "nested": "no test; expected: the run ends with no error (the page skipped or stored)",
    "slow": "tests/test_hostile.py::test_a_page_over_the_extraction_time_limit_is_skipped (1 s there, the default 5 s here)",
    "normal": "every article stored, nothing counted",
}


def expectations(name: str, run: dict, stored: set[str], facts: dict, hits: dict, everything: str) -> list[str]:
    """What looks wrong about source `name`, measured against BASIS."""
    errors, skipped = run["errors"], run["skipped"]
    public = hits.get("public", {})
    asked = [unquote(p) for p in public]
    problems = []

    def want(ok: bool, text: str) -> None:
        if not ok:
            problems.append(text)

    if name == "bomb":  # test_a_gzip_bomb_sitemap_is_refused_once_it_inflates_past_the_limit
        want(errors == {"too-large": 1}, "tests expect errors {'too-large': 1}")
        want("20000000 bytes once inflated" in (run["message"] or ""), "tests expect '20000000 bytes once inflated' in the message")
        want(public.get("/bomb/sitemap.xml.gz") == 1, f"sitemap fetched {public.get('/bomb/sitemap.xml.gz', 0)} times, not once")
    elif name == "schemes":  # test_links_that_are_not_http_are_skipped_one_at_a_time
        want(skipped == {"bad-link": facts["schemes_bad"]}, f"tests expect skipped {{'bad-link': {facts['schemes_bad']}}}")
        want(errors == {"http-302": 1}, "tests expect errors {'http-302': 1}")
        want(stored == set(facts["schemes"]), f"tests expect the 2 valid links stored, got {len(stored)}")
        want(PASSWD_MARKER not in everything, "/etc/passwd reached the database")
    elif name == "internal":  # test_discovered_links_into_internal_networks_need_permission (allowed=False)
        want(skipped.get("private-address") == 2, "tests expect skipped private-address: 2")
        want(stored == set(facts["internal"]), f"tests expect only the public article stored, got {sorted(stored)}")
        want(not hits.get("internal"), f"the internal host was asked for {hits.get('internal')}")
    elif name == "laughs":  # test_billion_laughs_in_a_feed_does_not_expand
        want(run["ok"] is not None, "the run did not end")
        want(set(errors) <= {"malformed-feed", "http-404"}, "tests expect no errors but malformed-feed (or http-404)")
        if not errors.get("malformed-feed"):
            want(set(facts["laughs"]) <= stored, "tests expect the valid entries stored")
        want(LOL not in everything and LOL_IN_A_LINK not in everything, "an expanded entity reached the database")
        want(not any(LOL_IN_A_LINK in p for p in asked), "an expanded entity was requested as a link")
    elif name == "xxe":  # test_external_entities_in_a_sitemap_are_never_read
        want(set(errors) <= {"malformed-sitemap", "http-404"}, "tests expect no errors but malformed-sitemap or http-404")
        if not errors.get("malformed-sitemap"):
            want(set(facts["xxe"]) <= stored, "tests expect the valid entries stored")
        want(facts["marker"] not in everything and PASSWD_MARKER not in everything, "an external entity reached the database")
        want(not any(facts["marker"] in p or PASSWD_MARKER in p for p in asked), "an external entity was requested as a link")
    elif name == "loop":  # test_sitemap_indexes_that_loop_or_nest_too_deep_stop_with_a_reason
        want(skipped == {"sitemap-loop": 1}, "tests expect skipped {'sitemap-loop': 1}")
        want(public.get("/loop/index.xml") == 1, f"the index was fetched {public.get('/loop/index.xml', 0)} times, not once")
    elif name == "deep":
        want(skipped == {"sitemap-too-deep": 1}, "tests expect skipped {'sitemap-too-deep': 1}")
        levels = [public.get(f"/deep/level{n}.xml", 0) for n in range(8)]
        want(levels == [1, 1, 1, 1, 1, 1, 0, 0], f"levels fetched {levels}, tests expect [1, 1, 1, 1, 1, 1, 0, 0]")
    elif name == "tagless":  # no test: DOWNLOAD_MAXSIZE is max_page_bytes (5 MB), so the download is cancelled
        want(errors == {"too-large": 1}, "expected errors {'too-large': 1} (max_page_bytes; not in the tests)")
    elif name == "nested":  # no test: the run must end, and the page be skipped or stored, not crash the crawl
        want(run["ok"] is not None, "the run did not end")
        want(not errors, "expected no error (the page skipped or stored; not in the tests)")
    elif name == "slow":  # test_a_page_over_the_extraction_time_limit_is_skipped (1 s there, the default 5 s here)
        want(skipped == {"extraction-timeout": 1}, "tests expect skipped {'extraction-timeout': 1}")
    elif name == "normal":
        want(len(stored) == NORMAL_ARTICLES and not errors and not skipped, "expected every article stored, no reason counted")
    return problems


def crawl_report(folder: Path, info: dict, farm: Farm) -> tuple[list[str], list[str]]:
    """The crawl and its report lines; and what looked wrong."""
    facts = info["facts"]
    db = folder / "hostile.db"
    config = folder / "config.toml"
    config.write_text(config_text(db, info["sources"]), encoding="utf-8")
    figures = run_crawl(config, db, folder)
    hits = farm.stop()
    runs, stored, everything = read_results(db) if db.exists() else ({}, {}, "")
    wrong: list[str] = []
    out = [
        "crawl: one `newswatch crawl --config CONFIG --quiet`, the default config except download_delay = 0 and "
        f"autothrottle = false (loopback servers), private_networks = [\"{INTERNAL}/32\"]; "
        f"{len(HOSTILE)} hostile sources and the normal one ({NORMAL_ARTICLES} articles, last in the config)",
        f"  served: bomb {facts['bomb_bytes'] / 1e6:.1f} MB gzip inflating to {facts['bomb_inflated'] / 1e9:.2f} GB; "
        f"tagless {facts['tagless_bytes'] / 1e6:.0f} MB; nested {NESTED_DIVS} divs, {facts['nested_bytes'] / 1e6:.1f} MB; "
        f"slow {SLOW_PARAGRAPHS} linked paragraphs, {facts['slow_bytes'] / 1e6:.1f} MB",
        f"  exit status {figures.code}; wall time {figures.wall:.1f} s (process start to exit)",
    ]
    if figures.normal_at is None:
        wrong.append(f"the normal source's articles were never all stored ({len(stored.get('normal', ()))} of {NORMAL_ARTICLES})")
        out.append(f"  normal source: {len(stored.get('normal', ()))} of {NORMAL_ARTICLES} articles stored, never all   [target <= {TARGET_NORMAL_SECONDS:g} s: FAIL]")
    else:
        ok = figures.normal_at <= TARGET_NORMAL_SECONDS
        if not ok:
            wrong.append(f"the normal source's articles took {figures.normal_at:.1f} s (target {TARGET_NORMAL_SECONDS:g} s)")
        out.append(
            f"  normal source: all {NORMAL_ARTICLES} articles stored {figures.normal_at:.1f} s after the start   "
            f"[target <= {TARGET_NORMAL_SECONDS:g} s: {'PASS' if ok else 'FAIL'}]"
        )
    mb = figures.peak_rss / 2**20
    if mb > TARGET_RSS_MB:
        wrong.append(f"peak RSS {mb:.0f} MB (target {TARGET_RSS_MB:g} MB)")
    out.append(
        f"  peak RSS of the crawl's process tree: {mb:.0f} MB ({figures.peak_processes} processes, at +{figures.peak_at:.1f} s)   "
        f"[target <= {TARGET_RSS_MB:g} MB: {'PASS' if mb <= TARGET_RSS_MB else 'FAIL'}]"
    )
    out.append("  RSS by second of the crawl (MB): " + " ".join(f"{r / 2**20:.0f}" for r in figures.rss_by_second))
    by_source: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for at, source, kind in figures.settled.values():
        by_source[source].append((at, kind))
    out.append("  pages settled (first seen in the urls table by the 0.1 s polling; seconds after start, kind[:reason]):")
    for name in sorted(by_source, key=lambda n: max(at for at, _ in by_source[n])):
        events = sorted(by_source[name])
        kinds = Counter(kind for _, kind in events)
        out.append(f"    {name:9s} " + " ".join(f"{at:.1f}" for at, _ in events) + "  (" + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ")")
    out.append("  source runs (errors and skipped of the last source_runs row; message):")
    for name in (*HOSTILE, "normal"):
        run = runs.get(name)
        if run is None:
            wrong.append(f"{name}: no source_runs row")
            out.append(f"    {name:9s} no source_runs row")
            continue
        problems = expectations(name, run, stored.get(name, set()), facts, hits, everything)
        wrong += [f"{name}: {p}" for p in problems]
        out.append(
            f"    {name:9s} ok={run['ok']} fetched={run['fetched']} stored={len(stored.get(name, ()))} "
            f"errors={json.dumps(run['errors'])} skipped={json.dumps(run['skipped'])} message={run['message']!r}"
        )
        verdict = "as expected" if not problems else "UNEXPECTED: " + "; ".join(problems)
        out.append(f"    {'':9s} {verdict}   [{BASIS[name]}]")
    out.append(
        f"  server side: internal host asked {sum(hits.get('internal', {}).values())} times; "
        f"request handler errors {hits.get('failures') or {}} (a cancelled download breaks the pipe)"
    )
    warnings = [line for line in figures.stderr if line.strip()]
    out.append(f"  crawl stderr: {len(warnings)} lines" + "".join(f"\n    {line[:200]}" for line in warnings[:8]))
    if figures.code not in (0,):
        wrong.append(f"the crawl exited with {figures.code}")
    return out, wrong


# -- the fuzz ----------------------------------------------------------------------------------------------


def strategies():
    """The hypothesis strategies (built here, so that --serve and --no-fuzz do not import hypothesis)."""
    from hypothesis import strategies as st

    from newswatch.demo.synthetic import WORDS

    plain = st.text(st.characters(codec="utf-8"), max_size=30)
    xml_bits = st.sampled_from(
        ["<", ">", "&", "&amp;", "&lt;", "&#0;", "&#x10FFFF;", "&#xD800;", "&#99999999;", "&bogus;", "]]>", "<![CDATA[",
         "\x00", "\x0b", "\ufeff", "\ufffe", "&e0;", "&e1;", "&e2;", '"', "'", "<!--", "-->", "<?pi x?>", "\r\n"]
    )
    text = st.lists(st.one_of(plain, xml_bits, st.sampled_from(WORDS)), max_size=5).map("".join)
    links = st.one_of(
        st.sampled_from(
            ["http://127.0.0.1/a.html", "https://example.org/x?y=1#z", "/relative/path.html", "relative.html",
             "//host.example/p", "file:///etc/passwd", "ftp://127.0.0.1/f", "data:text/html,<p>x</p>",
             "javascript:alert(1)", "mailto:a@b.c", "http://127.0.0.1:99999/port", "http://[::1/broken",
             "http://[v1.x]/", "http://[::1]:80/ok", "  http://127.0.0.1/spaces.html  ", "http://exa mple.org/",
             "http://127.0.0.1/%zz", "\x00http://nul/", "http://xn--/", "http://a..b/", "https://amp.example.org/amp/1",
             "http://m.example.org/news/1.html?amp=1", "&e1;", ""]
        ),
        st.builds(
            lambda scheme, host, path: f"{scheme}{host}{path}",
            st.sampled_from(["http://", "https://", "", "//", "HTTP://", "ht tp://", "http:"]),
            st.one_of(st.sampled_from(["127.0.0.1", "[::1]", "[", "]", "example.org:0", "example.org:", "h:-1", "user@h"]), plain),
            st.one_of(st.just("/"), plain.map(lambda s: "/" + s)),
        ),
        text,
    )
    dates = st.one_of(
        st.sampled_from(
            ["2026-01-01T00:00:00Z", "Thu, 01 Jan 2026 00:00:00 GMT", "0000-00-00", "9999-99-99T99:99", "yesterday",
             "2026-13-45", "-1", "1e309", "2026-01-01T00:00:00+25:00", "Mon, 32 Foo 2026 25:61:61 +9999", "99999-01-01"]
        ),
        plain,
    )

    def chance(tenths: int):
        return st.integers(0, 9).map(lambda n: n < tenths)

    @st.composite
    def content(draw, value_strategy=text):
        value = draw(value_strategy)
        how = draw(st.sampled_from(["escaped", "escaped", "raw", "cdata"]))
        if how == "escaped":
            return html.escape(value, quote=False)
        return f"<![CDATA[{value}]]>" if how == "cdata" else value

    @st.composite
    def attribute(draw, value_strategy=links):
        value = draw(value_strategy)
        return html.escape(value, quote=True) if draw(chance(8)) else value

    @st.composite
    def prolog(draw, root: str):
        head = ""
        if draw(chance(7)):
            encoding = draw(st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "utf-16", "windows-1252", "bogus", "ascii"]))
            head += f'<?xml version="{draw(st.sampled_from(["1.0", "1.1", "2.0"]))}" encoding="{encoding}"?>'
        if draw(chance(4)):
            declarations = []
            for i in range(draw(st.integers(0, 4))):
                kind = draw(st.sampled_from(["internal", "nested", "system", "parameter", "junk"]))
                if kind == "internal":
                    declarations.append(f'<!ENTITY e{i} "{html.escape(draw(plain), quote=True)}">')
                elif kind == "nested" and i:
                    declarations.append(f'<!ENTITY e{i} "{f"&e{i - 1};" * draw(st.integers(1, 5))}">')
                elif kind == "system":
                    target = draw(st.sampled_from(["file:///etc/passwd", "file:///nonexistent", "http://127.0.0.1:9/x.dtd"]))
                    declarations.append(f'<!ENTITY e{i} SYSTEM "{target}">')
                elif kind == "parameter":
                    declarations.append(f'<!ENTITY % p{i} SYSTEM "file:///nonexistent">%p{i};')
                else:
                    declarations.append(draw(text))
            external = ' SYSTEM "http://127.0.0.1:9/evil.dtd"' if draw(chance(2)) else ""
            joiner = "\n" if draw(st.booleans()) else ""
            head += f"{joiner}<!DOCTYPE {root}{external} [{joiner}{joiner.join(declarations)}{joiner}]>{joiner}"
        return head

    @st.composite
    def finish(draw, document: str) -> bytes:
        if draw(chance(2)):
            document = document[: draw(st.integers(0, len(document)))]
        codec, errors = draw(st.sampled_from([("utf-8", "strict"), ("utf-8", "strict"), ("utf-16", "strict"),
                                             ("latin-1", "xmlcharrefreplace"), ("cp1252", "replace"), ("utf-8-sig", "strict")]))
        return document.encode(codec, errors)

    @st.composite
    def feed_entry(draw, flavour: str) -> str:
        if flavour == "atom":
            parts = [f"<title>{draw(content())}</title>"]
            for _ in range(draw(st.integers(0, 3))):
                rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"', ' rel="related"', ' rel=""']))
                parts.append(f'<link href="{draw(attribute())}"{rel}/>')
            if draw(chance(2)):
                parts.append(f"<link>{draw(content(links))}</link>")
            parts.append(f"<id>{draw(content(links))}</id><updated>{draw(content(dates))}</updated>")
            kind = draw(st.sampled_from(["text", "html", "xhtml", "bogus"]))
            parts.append(f'<summary type="{kind}">{draw(content())}</summary>')
            return f"<entry>{''.join(draw(st.permutations(parts)))}</entry>"
        parts = [f"<title>{draw(content())}</title>", f"<description>{draw(content())}</description>"]
        for _ in range(draw(st.integers(0, 2))):
            parts.append(f"<link>{draw(content(links))}</link>")
        if draw(chance(3)):
            permalink = draw(st.sampled_from(["true", "false", "bogus"]))
            parts.append(f'<guid isPermaLink="{permalink}">{draw(content(links))}</guid>')
        if draw(chance(3)):
            parts.append(f"<pubDate>{draw(content(dates))}</pubDate>")
        if draw(chance(2)):
            parts.append(f'<enclosure url="{draw(attribute())}" type="text/html"/>')
        about = f' rdf:about="{draw(attribute())}"' if flavour == "rss1" else ""
        return f"<item{about}>{''.join(draw(st.permutations(parts)))}</item>"

    @st.composite
    def feed_xml(draw) -> tuple[str, bytes]:
        flavour = draw(st.sampled_from(["rss2", "rss091", "rss1", "atom", "bare"]))
        entries = "".join(draw(st.lists(feed_entry(flavour), max_size=6)))
        title = draw(content())
        if flavour in ("rss2", "rss091"):
            version = "2.0" if flavour == "rss2" else "0.91"
            root, body = "rss", f'<rss version="{version}"><channel><title>{title}</title>{entries}</channel></rss>'
        elif flavour == "rss1":
            root = "rdf:RDF"
            body = (
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
                f'<channel rdf:about="http://127.0.0.1/"><title>{title}</title></channel>{entries}</rdf:RDF>'
            )
        elif flavour == "atom":
            root, body = "feed", f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>{entries}</feed>'
        else:
            root = draw(st.sampled_from(["channel", "html", "urlset", "x", "rdf"]))
            body = f"<{root}>{entries}</{root}>"
        return flavour, draw(finish(draw(prolog(root)) + body))

    feed_input = st.one_of(
        feed_xml(), feed_xml(), feed_xml(), st.binary(max_size=1000).map(lambda b: ("random bytes", b))
    )

    @st.composite
    def sitemap_xml(draw) -> str:
        root = draw(st.sampled_from(["urlset", "sitemapindex", "urlset", "sitemapindex", "rss", "x"]))
        ns = draw(st.sampled_from([SITEMAP_NS, SITEMAP_NS, "", "http://www.google.com/schemas/sitemap/0.84", "urn:bogus"]))
        child = {"urlset": "url", "sitemapindex": "sitemap"}.get(root) or draw(st.sampled_from(["url", "sitemap", "item"]))
        entries = []
        for _ in range(draw(st.integers(0, 8))):
            shape = draw(st.sampled_from(["loc", "loc", "loc", "empty", "no-loc", "two-locs", "image"]))
            if shape == "empty":
                entries.append(f"<{child}/>")
            elif shape == "no-loc":
                entries.append(f"<{child}><lastmod>{draw(content(dates))}</lastmod></{child}>")
            else:
                extra = ""
                if shape == "two-locs":
                    extra = f"<loc>{draw(content(links))}</loc>"
                elif shape == "image":
                    extra = f"<image:image><image:loc>{draw(content(links))}</image:loc></image:image>"
                lastmod = f"<lastmod>{draw(content(dates))}</lastmod>" if draw(chance(3)) else ""
                entries.append(f"<{child}><loc>{draw(content(links))}</loc>{lastmod}{extra}</{child}>")
        xmlns = f' xmlns="{ns}"' if ns else ""
        if draw(chance(3)):
            xmlns += ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'
        return draw(prolog(root)) + f"<{root}{xmlns}>{''.join(entries)}</{root}>"

    @st.composite
    def sitemap_input(draw) -> tuple[str, bytes]:
        kind = draw(st.sampled_from(["xml", "xml", "xml", "gzip of xml", "truncated gzip of xml", "gzip past the limit",
                                     "random bytes", "gzip of random bytes", "gzip magic + random bytes"]))
        if kind == "random bytes":
            return kind, draw(st.binary(max_size=1000))
        if kind == "gzip of random bytes":
            return kind, gzip.compress(draw(st.binary(max_size=1000)))
        if kind == "gzip magic + random bytes":
            return kind, b"\x1f\x8b" + draw(st.binary(max_size=64))
        body = draw(finish(draw(sitemap_xml())))
        if kind == "xml":
            return kind, body
        if kind == "gzip past the limit":
            return kind, gzip.compress(body + b"<!-- padding -->" * draw(st.integers(100, 3000)))
        packed = gzip.compress(body)
        if kind == "truncated gzip of xml":
            return kind, packed[: draw(st.integers(0, len(packed) - 1))]
        return kind, packed

    tags = ["p", "div", "a", "article", "main", "section", "span", "h1", "h2", "ul", "li", "table", "tr", "td", "script",
            "style", "noscript", "template", "svg", "math", "iframe", "form", "textarea", "pre", "code", "blockquote",
            "figure", "figcaption", "time", "header", "footer", "nav", "aside", "br", "img", "meta", "link", "title",
            "head", "body", "html", "select", "option", "b", "em", "object", "frameset", "plaintext", "xmp"]
    names = ["href", "class", "id", "lang", "content", "property", "name", "charset", "datetime", "itemprop", "rel",
             "src", "http-equiv", "type", "dir", "hidden", "style", "xmlns", "xml:lang"]
    html_bits = st.sampled_from(["&nbsp;", "&amp;", "&#0;", "&#x110000;", "&#xD800;", "&bogus", "<!--", "-->",
                                 "<![CDATA[x]]>", "</p>", "</div></div>", "<", "\x00", "\r", "<?php ?>", "<!DOCTYPE x>"])
    html_text = st.one_of(plain, html_bits, st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join))

    def element(tag: str, attributes: list[tuple[str, str]], children: list[str], closed: bool) -> str:
        pairs = "".join(f' {name}="{value}"' for name, value in attributes)
        return f"<{tag}{pairs}>{''.join(children)}" + (f"</{tag}>" if closed else "")

    html_tree = st.recursive(
        html_text,
        lambda children: st.builds(
            element,
            st.sampled_from(tags),
            st.lists(st.tuples(st.sampled_from(names), attribute(st.one_of(links, dates, text))), max_size=3),
            st.lists(children, max_size=5),
            st.integers(0, 9).map(lambda n: n < 8),
        ),
        max_leaves=30,
    )
    json_value = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), plain, dates),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.sampled_from(["@type", "headline", "author", "name", "datePublished", "@graph", "inLanguage", "url"]),
                            children, max_size=4),
        ),
        max_leaves=12,
    )

    @st.composite
    def html_input(draw) -> tuple[str, str]:
        fragment = draw(html_tree)
        if draw(chance(4)):
            return "fragment", fragment
        head = []
        if draw(chance(6)):
            head.append(f"<title>{draw(text)}</title>")
        for prop in draw(st.lists(st.sampled_from(["og:title", "og:type", "og:url", "og:locale", "author", "article:author",
                                                   "article:published_time", "twitter:title", "date"]), max_size=4)):
            head.append(f'<meta property="{prop}" content="{draw(attribute(st.one_of(dates, links, text)))}">')
        if draw(chance(4)):
            head.append(f'<link rel="canonical" href="{draw(attribute())}">')
        if draw(chance(4)):
            data = draw(json_value)
            if draw(chance(5)):
                data = {"@type": draw(st.sampled_from(["NewsArticle", ["Article", 3], "BlogPosting", None])),
                        "headline": draw(json_value), "author": draw(json_value), "datePublished": draw(json_value)}
            head.append(f'<script type="application/ld+json">{json.dumps(data)}</script>')
        rng = random.Random(draw(st.integers(0, 2**32)))
        words = draw(st.integers(0, 400))
        prose = "".join(
            f"<p>{' '.join(rng.choice(WORDS) for _ in range(40))}.</p>" for _ in range(words // 40)
        )
        lang = f' lang="{draw(attribute(st.one_of(st.sampled_from(["en", "ko", "EN-us", "x", ""]), plain)))}"' if draw(chance(5)) else ""
        doctype = "<!DOCTYPE html>" if draw(chance(7)) else ""
        page = f"{doctype}<html{lang}><head>{''.join(head)}</head><body>{fragment}<article>{prose}</article>{draw(html_tree)}</body></html>"
        return "page", page

    page_urls = st.sampled_from(["http://127.0.0.1/news/1.html", "https://example.org/2026/01/02/story", "http://127.0.0.1:8080/a?b=1#c"])
    return feed_input, sitemap_input(), html_input(), page_urls, st


@dataclass
class Crash:
    kind: str
    data: bytes | str
    params: dict


@dataclass
class Target:
    """One function under the fuzz: what it may raise, and what it did."""

    name: str
    function: Callable[..., object]  # function(data, **params)
    expected: tuple[type[BaseException], ...]
    consequence: Callable[[type], str]  # the exception's type -> what the crawl does with it
    tried: int = 0
    kinds: Counter = field(default_factory=Counter)
    declared: Counter = field(default_factory=Counter)  # expected exceptions, by type
    crashes: dict[str, list[Crash]] = field(default_factory=lambda: defaultdict(list))  # signature -> inputs
    types: dict[str, type] = field(default_factory=dict)  # signature -> the exception's type
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0

    def outcome(self, data: bytes | str, params: dict) -> tuple[str, str, type] | None:
        """(signature, message, type) of a crash, None for a return or a declared exception."""
        try:
            self.function(data, **params)
        except self.expected as exc:
            self.declared[type(exc).__name__] += 1
            return None
        except Exception as exc:  # anything else: a crash, kept, and the fuzz goes on
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if f.filename.startswith(str(REPO)) and "/.venv/" not in f.filename]
            where = lambda f: f"{Path(f.filename).name}:{f.lineno} {f.name}"  # noqa: E731
            place = where(frames[-1]) + (f" (from {where(ours[-1])})" if ours and ours[-1] is not frames[-1] else "")
            return f"{type(exc).__name__} at {place}", str(exc).replace("\n", " ")[:100], type(exc)
        return None

    def call(self, kind: str, data: bytes | str, **params: object) -> None:
        self.tried += 1
        self.kinds[kind] += 1
        started = time.perf_counter()
        crash = self.outcome(data, params)
        spent = time.perf_counter() - started
        self.seconds += spent
        if spent > self.slowest[0]:
            self.slowest = (spent, short(kind, data))
        if crash:
            signature, message, kind_of = crash
            self.crashes[f"{signature}: {message}"].append(Crash(kind, data, params))
            self.types[f"{signature}: {message}"] = kind_of

    def reduced(self, crash: Crash, signature: str, budget: float = REDUCE_SECONDS) -> bytes | str:
        """A smaller input with the same crash (type and place): chunks deleted while it still crashes;
        a complete gzip file is reduced inside and packed again."""
        inner, wrap = crash.data, (lambda d: d)
        if isinstance(inner, bytes) and inner[:2] == b"\x1f\x8b":
            try:
                inner, wrap = gzip.decompress(inner), gzip.compress
            except (OSError, EOFError):
                inner = crash.data
        declared = self.declared.copy()

        def same(candidate):
            found = self.outcome(wrap(candidate), crash.params)
            return found is not None and found[0] == signature

        deadline = time.perf_counter() + budget
        parts = 2
        while len(inner) >= 2 and time.perf_counter() < deadline:
            size = max(1, len(inner) // parts)
            for start in range(0, len(inner), size):
                candidate = inner[:start] + inner[start + size:]
                if same(candidate):
                    inner, parts = candidate, max(parts - 1, 2)
                    break
                if time.perf_counter() >= deadline:
                    break
            else:
                if size == 1:
                    break
                parts = min(parts * 2, len(inner))
        self.declared = declared  # the reduction's own calls are not the fuzz's
        return wrap(inner) if wrap is gzip.compress and inner is not crash.data else inner


def short(kind: str, data: bytes | str, limit: int = 150) -> str:
    """`kind`, the size, and the start of the input (of its inflated content, for gzip)."""
    size = f"{len(data)} {'bytes' if isinstance(data, bytes) else 'chars'}"
    shown = data
    if isinstance(data, bytes) and data[:2] == b"\x1f\x8b":
        try:
            inflated = zlib.decompressobj(31).decompress(data, limit * 4)
        except zlib.error:
            inflated = b""
        if inflated:
            size += ", inflating to"
            shown = inflated
    text = repr(shown)
    return f"{kind}, {size}: " + (text if len(text) <= limit else text[:limit] + "…")


def fuzz(examples: int, seed: int | None, all_inputs: bool = False) -> tuple[list[str], list[str]]:
    """Every target for `examples` generated inputs; report lines and what looked wrong."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    from crawler.spiders.feed import MalformedFeed, feed_links
    from crawler.spiders.sitemap import MalformedSitemap, SitemapTooLarge, sitemap_links
    from extractors.article import Extractor

    feed_input, sitemap_input, html_input, page_urls, st = strategies()
    extractor = Extractor()
    quiet = settings(
        max_examples=examples, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    seeded = fixed_seed(seed) if seed is not None else (lambda f: f)

    def listing(kind: str):
        def consequence(exc: type) -> str:
            if issubclass(exc, ValueError):
                return (f"a ValueError: NewsSpider._listed's `except (..., ValueError)` counts it as malformed-{kind}, "
                        "the whole listing refused")
            return ("not a ValueError: it escapes NewsSpider._listed(); Scrapy logs the traceback and the run "
                    "counts nothing (reads as ok)")

        return consequence

    def extraction(exc: type) -> str:
        return "ExtractionPipeline catches it: extraction-failed (transient), the page is tried again next crawl"

    feeds = Target("feed_links", lambda d: feed_links(d, "http://127.0.0.1/news/feed.rss"), (MalformedFeed,), listing("feed"))
    sitemaps = Target(
        "sitemap_links", lambda d, max_links, max_bytes: sitemap_links(d, "http://127.0.0.1/sitemap.xml", max_links, max_bytes),
        (MalformedSitemap, SitemapTooLarge), listing("sitemap"),
    )
    pages = Target("Extractor().extract", lambda d, url: extractor.extract(d, url), (), extraction)

    @seeded
    @quiet
    @given(feed_input)
    def fuzz_feed(case):
        feeds.call(*case)

    @seeded
    @quiet
    @given(sitemap_input, st.integers(1, 10), st.sampled_from([1024, 4096, 65536, 20_000_000]))
    def fuzz_sitemap(case, max_links, max_bytes):
        sitemaps.call(*case, max_links=max_links, max_bytes=max_bytes)

    @seeded
    @quiet
    @given(html_input, page_urls)
    def fuzz_extract(case, url):
        pages.call(*case, url=url)

    started = time.perf_counter()
    for test in (fuzz_feed, fuzz_sitemap, fuzz_extract):
        test()
    generated = time.perf_counter() - started
    out = [f"fuzz: hypothesis (@given, max_examples={examples}, deadline=None, database=None, no shrinking), "
           f"seed {seed if seed is not None else 'random'}, {generated:.1f} s"]
    wrong = []
    for target in (feeds, sitemaps, pages):
        crashes = sum(len(v) for v in target.crashes.values())
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(target.kinds.items()))
        declared = ", ".join(f"{k} {n}" for k, n in sorted(target.declared.items())) or "none"
        out.append(
            f"  {target.name}: {target.tried} inputs tried ({kinds}) in {target.seconds:.1f} s; declared exceptions: "
            f"{declared}; crashes: {crashes}   [target 0: {'PASS' if not crashes else 'FAIL'}]"
        )
        out.append(f"    slowest input {target.slowest[0] * 1000:.0f} ms: {target.slowest[1]}")
        for full, inputs in sorted(target.crashes.items(), key=lambda kv: -len(kv[1])):
            signature = full.split(": ", 1)[0]
            wrong.append(f"{target.name}: {len(inputs)} x {full}")
            out.append(f"    crash x{len(inputs)}: {full}")
            out.append(f"      in the crawl: {target.consequence(target.types[full])}")
            smallest = min(inputs, key=lambda c: len(c.data))
            small = target.reduced(smallest, signature)
            params = "".join(f", {k}={v!r}" for k, v in smallest.params.items())
            out.append(f"      reduced ({smallest.kind}{params}): {short('', small, 300)[2:]}")
            shown = inputs if all_inputs else sorted(inputs, key=lambda c: len(c.data))[:SHOW_INPUTS]
            for crash in shown:
                out.append(f"      {short(crash.kind, crash.data)}")
            if len(shown) < len(inputs):
                out.append(f"      … and {len(inputs) - len(shown)} more inputs (the shortest shown; --all-inputs lists them all)")
    return out, wrong


# -- main --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--examples", type=int, default=300, help="fuzz inputs a target (default 300)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    parser.add_argument("--all-inputs", action="store_true", help="list every crashing input, not the shortest few")
    parser.add_argument("--no-crawl", action="store_true", help="only the fuzz")
    parser.add_argument("--no-fuzz", action="store_true", help="only the crawl")
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve)
        return
    started = time.monotonic()
    lines: list[str] = []
    wrong: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = Path(tmp)
        farm = None if args.no_crawl else Farm(folder)  # builds the bomb while the fuzz runs
        try:
            fuzz_lines, fuzz_wrong = ([], []) if args.no_fuzz else fuzz(args.examples, args.seed, args.all_inputs)
            if farm is not None:
                crawl_lines, crawl_wrong = crawl_report(folder, farm.ready(), farm)
                lines += crawl_lines
                wrong += crawl_wrong
        finally:
            if farm is not None and farm.child.poll() is None:
                farm.child.kill()
        lines += fuzz_lines
        wrong += fuzz_wrong
    for line in lines:
        print(line)
    print(f"looked wrong: {len(wrong)}" + "".join(f"\n  - {w}" for w in wrong))
    print(f"bench wall time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
