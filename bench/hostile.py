"""Hostile sources beside a normal one in one real `newswatch crawl`, then a fuzz of the parsers and the extractor.

The crawl: a child process serves on loopback a normal source (5 articles) and one source a hostile case
(see build(): a gzip bomb, other schemes, links into an internal network, billion laughs, XXE, a sitemap
loop, sitemaps too deep, a 40 MB tagless page, 100,000 nested divs, a page slow to extract). One
`newswatch crawl` runs over all, with the default config but for download_delay = 0 and autothrottle =
false. Printed: seconds until the normal source's articles are all stored (target <= 10 s), wall time,
peak memory of the crawl's process tree (PSS, target <= 500 MB; summed RSS too), each source's counted reasons and message.

The fuzz (hypothesis, generation only, while the child builds its pages): --examples inputs each for
feed_links, sitemap_links and Extractor().extract. The listing parsers may raise ValueError (MalformedFeed,
MalformedSitemap, SitemapTooLarge), the extractor nothing: anything else is a crash (target 0).

Run:  .venv/bin/python bench/hostile.py [--examples 300] [--seed N]
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
import zlib
from contextlib import ExitStack, closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from newswatch.demo.hostile import (
    LAUGHS, SITEMAP_NS, doctype, feed, gzip_bomb, laugh_links, nested_page, redirect, rss, secret_file,
    serve_articles, sitemap_index, slow_page, tagless_page, urlset, xxe_declarations, xxe_links,
)
from scale import sample_tree, tree, verdict  # bench/, this script's folder, is on sys.path

REPO = Path(__file__).resolve().parent.parent
PUBLIC, INTERNAL = "127.0.0.1", "127.0.0.8"
NORMAL_ARTICLES = 5
BOMB_MB, TAGLESS_MB, NESTED_DIVS, SLOW_PARAGRAPHS = 1000, 40, 100_000, 24_000  # slow: under max_elements
TARGET_NORMAL_SECONDS, TARGET_RSS_MB = 10.0, 500.0
CRAWL_TIMEOUT = 150.0  # seconds; the crawl's process group is killed past it
POLL_EVERY = 0.1


# -- the servers (a child process: its own GIL and heap) -------------------------------------------------


def build(public, internal, folder: Path) -> dict:
    """Every page on the two servers (127.0.0.8 is the internal one); the sources, the normal one last."""
    sources: dict[str, dict[str, list[str]]] = {}
    bomb = gzip_bomb(BOMB_MB)
    public.put("/bomb/sitemap.xml.gz", bomb, "application/gzip")
    sources["bomb"] = {"sitemaps": [public.url("/bomb/sitemap.xml.gz")]}

    valid = serve_articles(public, "/schemes", 2, seed=2)
    public.route("/schemes/to-file.html", redirect(302, "file:///etc/passwd"))
    bad = ["ftp://127.0.0.1/secret", "data:text/html,<p>North Korea</p>", "javascript:alert(1)",
           "mailto:tips@example.org", "http://127.0.0.1:99999/bad-port", public.url("/schemes/to-file.html")]
    public.put("/schemes/feed.rss", feed("file:///etc/passwd", valid[0], *bad, valid[1]))
    sources["schemes"] = {"feeds": [public.url("/schemes/feed.rss")]}

    visible, hidden = serve_articles(public, "/internal", 1, seed=3), serve_articles(internal, "/admin", 1, seed=4)
    public.route("/internal/moved.html", redirect(301, hidden[0]))
    public.put("/internal/feed.rss", feed(visible[0], hidden[0], public.url("/internal/moved.html")))
    sources["internal"] = {"feeds": [public.url("/internal/feed.rss")]}

    # Two real articles lead each document: libxml2's recovery stops reading at a bomb.
    _, secret = secret_file(folder)
    sources["laughs"], sources["xxe"] = {"feeds": []}, {"sitemaps": []}
    for layout, seed in (("multiline", 10), ("oneline", 11)):
        prefix = f"/laughs-{layout}"
        links = serve_articles(public, prefix, 2, seed) + laugh_links(prefix)
        public.put(f"{prefix}/feed.rss", rss(doctype("rss", LAUGHS, layout), [("&lol9;", "&lol9;", link) for link in links]))
        sources["laughs"]["feeds"].append(public.url(f"{prefix}/feed.rss"))
        prefix = f"/xxe-{layout}"
        locs = serve_articles(public, prefix, 2, seed + 10) + xxe_links(prefix)
        public.put(f"{prefix}/sitemap.xml", urlset(doctype("urlset", xxe_declarations(secret), layout), locs))
        sources["xxe"]["sitemaps"].append(public.url(f"{prefix}/sitemap.xml"))

    public.put("/loop/index.xml", sitemap_index(public.url("/loop/index.xml")))
    sources["loop"] = {"sitemaps": [public.url("/loop/index.xml")]}
    for level in range(7):
        public.put(f"/deep/level{level}.xml", sitemap_index(public.url(f"/deep/level{level + 1}.xml")))
    public.put("/deep/level7.xml", urlset("", serve_articles(public, "/deep", 1, seed=30)))
    sources["deep"] = {"sitemaps": [public.url("/deep/level0.xml")]}

    pages = {"tagless": tagless_page(TAGLESS_MB), "nested": nested_page(NESTED_DIVS), "slow": slow_page(SLOW_PARAGRAPHS)}
    for name, page in pages.items():
        public.put(f"/{name}/page.html", page, "text/html; charset=utf-8")
        public.put(f"/{name}/feed.rss", feed(public.url(f"/{name}/page.html")))
        sources[name] = {"feeds": [public.url(f"/{name}/feed.rss")]}

    public.put("/normal/feed.rss", feed(*serve_articles(public, "/normal", NORMAL_ARTICLES, seed=1)))
    sources["normal"] = {"feeds": [public.url("/normal/feed.rss")]}
    return {"sources": sources, "bomb_bytes": len(bomb)}


def serve(folder: str) -> None:
    """The child: builds and serves every page, prints the sources as one JSON line, serves until stdin closes."""
    from newswatch.demo.server import SiteServer

    with ExitStack() as stack:
        public = stack.enter_context(SiteServer(root=None, host=PUBLIC))
        internal = stack.enter_context(SiteServer(root=None, host=INTERNAL))
        print(json.dumps(build(public, internal, Path(folder))), flush=True)
        sys.stdin.read()


def start_servers(folder: Path) -> subprocess.Popen:
    # The cancelled 40 MB download breaks a server pipe: its traceback goes to a file, not the report.
    with open(folder / "servers.stderr", "wb") as err:
        return subprocess.Popen([sys.executable, __file__, "--serve", str(folder)], cwd=REPO, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)


# -- the crawl ---------------------------------------------------------------------------------------------


def config_text(db: Path, sources: dict[str, dict[str, list[str]]]) -> str:
    text = (f'[storage]\ndatabase = "{db}"\n\n[crawl]\ndownload_delay = 0\nautothrottle = false\n'
            f'private_networks = ["{INTERNAL}/32"]\n')
    for name, listings in sources.items():
        text += f'\n[[sources]]\nname = "{name}"\n'
        text += "".join(f"{kind} = {json.dumps(urls)}\n" for kind, urls in listings.items())
    return text


def normal_stored(db: Path) -> int:
    """Articles of the normal source stored so far (0 while the database or its tables do not exist)."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)) as conn:
            return conn.execute("select count(*) from articles where source = 'normal'").fetchone()[0]
    except sqlite3.Error:
        return 0


def run_crawl(config: Path, db: Path, folder: Path):
    """Exit status, wall seconds, seconds until the normal source was all stored (None: never), peak tree
    sample (summed RSS) and peak summed PSS."""
    newswatch = Path(sys.executable).parent / "newswatch"
    started = time.monotonic()
    with open(folder / "crawl.stderr", "wb") as err:
        proc = subprocess.Popen([str(newswatch), "crawl", "--config", str(config), "--quiet"], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    normal_at, peak, peak_pss = None, None, 0
    while proc.poll() is None:
        sample = sample_tree(proc.pid)
        if sample and (peak is None or sample.rss > peak.rss):
            peak = sample
        peak_pss = max(peak_pss, tree_pss(proc.pid))
        if normal_at is None and normal_stored(db) >= NORMAL_ARTICLES:
            normal_at = time.monotonic() - started
        if time.monotonic() - started > CRAWL_TIMEOUT:
            os.killpg(proc.pid, signal.SIGKILL)  # the crawl's own group (start_new_session)
            break
        time.sleep(POLL_EVERY)
    code, wall = proc.wait(), time.monotonic() - started
    if normal_at is None and normal_stored(db) >= NORMAL_ARTICLES:
        normal_at = wall  # stored between the last poll and the exit
    return code, wall, normal_at, peak, peak_pss


def tree_pss(root: int) -> int:
    """Bytes of the tree's proportional set size: pages a worker shares with the fork server count once."""
    total = 0
    for pid in tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # exited meanwhile
        total += next((int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


def crawl_report(folder: Path, served: dict) -> list[str]:
    db, config = folder / "hostile.db", folder / "config.toml"
    config.write_text(config_text(db, served["sources"]), encoding="utf-8")
    code, wall, normal_at, peak, peak_pss = run_crawl(config, db, folder)
    mb, pss = (peak.rss / 2**20 if peak else 0.0), peak_pss / 2**20
    normal = f"all stored after {normal_at:.1f} s" if normal_at is not None else f"{normal_stored(db)} stored, never all"
    out = [
        f"crawl: {len(served['sources']) - 1} hostile sources and a normal one; the bomb is "
        f"{served['bomb_bytes'] / 1e6:.1f} MB of gzip inflating to ~{BOMB_MB / 1000:g} GB",
        f"  exit status {code}; wall time {wall:.1f} s",
        f"  the normal source's {NORMAL_ARTICLES} articles: {normal}   "
        f"[target <= {TARGET_NORMAL_SECONDS:g} s: {verdict(normal_at is not None and normal_at <= TARGET_NORMAL_SECONDS)}]",
        f"  peak memory of the crawl's process tree ({peak.processes if peak else 0} processes): PSS {pss:.0f} MB"
        f"   [target <= {TARGET_RSS_MB:g} MB: {verdict(pss <= TARGET_RSS_MB)}];"
        f" RSS summed {mb:.0f} MB (counts the pages the workers share with their fork server in each)",
        "  source runs (the last of each source; stored: its articles in the database):",
    ]
    if not db.exists():
        return out + ["    none: the crawl made no database"]
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        runs = {row["source"]: row for row in conn.execute(
            "select r.*, (select count(*) from articles a where a.source = r.source) as stored from source_runs r"
            " where id in (select max(id) from source_runs group by source)")}
    for name in served["sources"]:
        run = runs.get(name)
        out.append(f"    {name:9s} no source_runs row" if run is None else
                   f"    {name:9s} ok={run['ok']} fetched={run['fetched']} stored={run['stored']} errors={run['errors']} "
                   f"skipped={run['skipped']} message={run['message']!r}")
    stderr = [line for line in (folder / "crawl.stderr").read_text(errors="replace").splitlines() if line.strip()]
    out.append(f"  crawl stderr: {len(stderr)} lines" + "".join(f"\n    {line[:200]}" for line in stderr[:5]))
    return out


# -- the fuzz: documents of plausible tags around the pieces that break parsers ----------------------------

XML_BITS = ["<", ">", "&", "&amp;", "&#0;", "&#x10FFFF;", "&#xD800;", "&#99999999;", "&bogus;", "]]>", "<![CDATA[",
            "\x00", "\x0b", "\ufeff", "\ufffe", "&e0;", "&e1;", "&e2;", '"', "<!--", "-->", "<?pi x?>", "\r\n"]
LINKS = ["http://127.0.0.1/a.html", "https://example.org/x?y=1#z", "/relative/path.html", "relative.html", "//host/p",
         "file:///etc/passwd", "data:text/html,<p>x</p>", "javascript:alert(1)", "mailto:a@b.c", "http://127.0.0.1:99999/",
         "http://[::1/broken", "http://[v1.x]/", "http://[::1]:80/ok", "  http://127.0.0.1/spaces.html  ", "ht tp://x",
         "http://exa mple.org/", "http://127.0.0.1/%zz", "\x00http://nul/", "http://xn--/", "http://a..b/", "http:", ""]
DATES = ["2026-01-01T00:00:00Z", "Thu, 01 Jan 2026 00:00:00 GMT", "0000-00-00", "9999-99-99T99:99", "2026-13-45", "-1",
         "1e309", "2026-01-01T00:00:00+25:00", "Mon, 32 Foo 2026 25:61:61 +9999", "99999-01-01"]
DECLARATIONS = ['<!ENTITY e0 "x">', '<!ENTITY e1 "&e0;&e0;&e0;&e0;&e0;">', '<!ENTITY e2 "&e1;&e1;&e1;&e1;&e1;">',
                '<!ENTITY e1 SYSTEM "file:///etc/passwd">', '<!ENTITY e2 SYSTEM "http://127.0.0.1:9/x.dtd">',
                '<!ENTITY % p SYSTEM "file:///nonexistent">%p;', "<!ELEMENT x ANY>", "<!ENTITY broken"]
CODECS = [("utf-8", "strict"), ("utf-16", "strict"), ("latin-1", "xmlcharrefreplace"), ("cp1252", "replace")]
FEEDS = ['<rss version="2.0"><channel><title>f</title>{}</channel></rss>', "{}",  # "{}": the entries
         '<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>{}</feed>',
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">{}</rdf:RDF>']
SITEMAPS = [f'<urlset xmlns="{SITEMAP_NS}">{{}}</urlset>', f'<sitemapindex xmlns="{SITEMAP_NS}">{{}}</sitemapindex>',
            f'<urlset xmlns="{SITEMAP_NS}" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">{{}}</urlset>',
            "<urlset>{}</urlset>"]
FEED_TAGS = "item entry title link link guid description summary content pubDate updated id enclosure".split()
SITEMAP_TAGS = "url url sitemap loc loc lastmod image:image image:loc".split()
HTML_TAGS = ("p div a article main section span h1 li table td script style noscript template svg math iframe form textarea "
             "pre blockquote figure time header footer nav aside br img meta title head body html plaintext").split()
ATTRIBUTES = ("href rel type isPermaLink url rdf:about xml:base xmlns class id lang content property charset datetime "
              "src").split()
HTML_BITS = ["&nbsp;", "&#0;", "&#x110000;", "&#xD800;", "&bogus", "<!--", "</p>", "</div></div>", "<", "\x00", "<?php ?>"]
META = "og:title og:type og:url og:locale author article:author article:published_time date".split()
LD_KEYS = "@type headline author name datePublished @graph inLanguage url".split()


def inputs():
    """Hypothesis strategies of (input, keyword arguments) for the three targets, in order."""
    from hypothesis import strategies as st

    from newswatch.demo.synthetic import WORDS

    plain = st.text(max_size=30)
    text = st.lists(st.one_of(plain, st.sampled_from(XML_BITS), st.sampled_from(WORDS)), max_size=5).map("".join)
    dates = st.one_of(st.sampled_from(DATES), plain)
    values = st.one_of(text, st.sampled_from(LINKS), dates)
    content = st.one_of(values.map(lambda v: html.escape(v, quote=False)), values, values.map("<![CDATA[{}]]>".format))
    attribute = st.one_of(values.map(html.escape), values)

    def element(tag: str, attributes: list[tuple[str, str]], children: list[str], closed: bool) -> str:
        pairs = "".join(f' {name}="{value}"' for name, value in attributes)
        return f"<{tag}{pairs}>{''.join(children)}" + (f"</{tag}>" if closed else "")

    def trees(tags: list[str], leaves):
        """Elements of `tags` nested at random, with attributes; one in ten left unclosed."""
        return st.recursive(leaves, lambda children: st.builds(
            element, st.sampled_from(tags), st.lists(st.tuples(st.sampled_from(ATTRIBUTES), attribute), max_size=3),
            st.lists(children, max_size=5), st.integers(0, 9).map(bool)), max_leaves=30)

    prolog = st.one_of(
        st.just(""),
        st.builds('<?xml version="1.0" encoding="{}"?>'.format, st.sampled_from(["utf-8", "latin-1", "utf-16", "bogus"])),
        st.builds(doctype, st.sampled_from(["rss", "feed", "urlset"]), st.lists(st.sampled_from(DECLARATIONS) | text, max_size=4),
                  st.sampled_from(["multiline", "oneline"]), st.sampled_from([None, "http://127.0.0.1:9/evil.dtd"])),
    )

    @st.composite
    def xml(draw, documents: list[str], tags: list[str]) -> bytes:
        entries = "".join(draw(st.lists(trees(tags, content), max_size=6)))
        document = draw(prolog) + draw(st.sampled_from(documents)).format(entries)
        if draw(st.booleans()):
            document = document[: draw(st.integers(0, len(document)))]
        codec, errors = draw(st.sampled_from(CODECS))
        return document.encode(codec, errors)

    sitemap, junk = xml(SITEMAPS, SITEMAP_TAGS), st.binary(max_size=1000)
    packed = sitemap.map(gzip.compress)
    sitemaps = st.one_of(
        sitemap, packed, junk, junk.map(gzip.compress),
        st.builds(lambda data, cut: data[: int(len(data) * cut)], packed, st.floats(0, 0.99)),  # truncated
        st.builds(lambda data, n: gzip.compress(data + b"<!-- padding -->" * n), sitemap, st.integers(100, 3000)),  # too large
    )

    def prose(seed: int) -> str:
        """Up to 400 words: a page can count as an article."""
        rng = random.Random(seed)
        return "".join(f"<p>{' '.join(rng.choices(WORDS, k=40))}.</p>" for _ in range(rng.randint(0, 10)))

    words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join)
    fragment = trees(HTML_TAGS, st.one_of(plain, st.sampled_from(HTML_BITS), words))
    json_ld = st.recursive(
        st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.just("NewsArticle"), dates),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(LD_KEYS), children), max_leaves=12)
    head = st.lists(st.one_of(
        st.builds('<meta property="{}" content="{}">'.format, st.sampled_from(META), attribute),
        json_ld.map(lambda value: f'<script type="application/ld+json">{json.dumps(value)}</script>'),
        text.map("<title>{}</title>".format), attribute.map('<link rel="canonical" href="{}">'.format),
    ), max_size=6).map("".join)
    page = st.builds('<!DOCTYPE html><html lang="{}"><head>{}</head><body>{}<article>{}</article>{}</body></html>'.format,
                     attribute, head, fragment, st.integers(0, 2**32).map(prose), fragment)
    urls = st.sampled_from(["http://127.0.0.1/news/1.html", "https://example.org/2026/01/02/story", "http://h:8/a?b#c"])
    limits = {"max_links": st.integers(1, 10), "max_bytes": st.sampled_from([1024, 65536, 20_000_000])}
    return (
        st.tuples(xml(FEEDS, FEED_TAGS) | junk, st.just({})),
        st.tuples(sitemaps, st.fixed_dictionaries(limits)),
        st.tuples(fragment | page, st.fixed_dictionaries({"url": urls})),
    )


def where(exc: BaseException) -> str:
    """The exception's type and the frame that raised it, and the project's last frame if that is another."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(REPO)) and "/.venv/" not in f.filename
            and f.filename != __file__]
    shown = [frames[-1]] + [f for f in ours[-1:] if f is not frames[-1]]
    return f"{type(exc).__name__} at " + ", from ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in shown)


@dataclass
class Target:
    """A function under the fuzz, what it may raise, and what it did."""

    name: str
    call: Callable[..., object]  # call(data, **keyword arguments)
    allowed: type[BaseException] | tuple[type[BaseException], ...]
    tried: int = 0
    crashes: dict[str, list[tuple[bytes | str, dict, str]]] = field(default_factory=dict)  # where -> (input, kwargs, message)

    def run(self, data: bytes | str, params: dict) -> None:
        self.tried += 1
        try:
            self.call(data, **params)
        except self.allowed:
            pass
        except Exception as exc:  # a crash: kept, and the fuzz goes on
            self.crashes.setdefault(where(exc), []).append((data, params, str(exc).replace("\n", " ")[:150]))


def short(data: bytes | str, limit: int = 300) -> str:
    """The size and the start of an input (of what it inflates to, for gzip)."""
    size = f"{len(data)} {'bytes' if isinstance(data, bytes) else 'chars'}"
    if isinstance(data, bytes) and data[:2] == b"\x1f\x8b":
        with suppress(zlib.error):
            data, size = zlib.decompressobj(31).decompress(data, limit), size + " inflating to"
    text = repr(data)
    return f"{size}: {text[:limit]}" + ("…" if len(text) > limit else "")


def fuzz(examples: int, seed: int) -> list[str]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    from crawler.spiders.feed import feed_links
    from crawler.spiders.sitemap import sitemap_links
    from extractors.article import Extractor

    extractor = Extractor()
    targets = [
        Target("feed_links", lambda data: feed_links(data, "http://127.0.0.1/news/feed.rss"), ValueError),
        Target("sitemap_links", lambda data, **limits: sitemap_links(data, "http://127.0.0.1/map.xml", **limits), ValueError),
        Target("Extractor().extract", lambda data, url: extractor.extract(data, url), ()),
    ]
    generate = settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck))
    started = time.perf_counter()
    for target, strategy in zip(targets, inputs()):

        @fixed_seed(seed)
        @generate
        @given(strategy)
        def run(case):
            target.run(*case)

        run()
    out = [f"fuzz: hypothesis, {examples} generated inputs a target, seed {seed}, {time.perf_counter() - started:.1f} s"]
    for target in targets:
        crashed = sum(len(inputs) for inputs in target.crashes.values())
        out.append(f"  {target.name}: {target.tried} inputs tried; {len(target.crashes)} distinct crashes in {crashed} "
                   f"inputs   [target 0: {verdict(not crashed)}]")
        for place, crashes in sorted(target.crashes.items(), key=lambda item: -len(item[1])):
            data, params, message = min(crashes, key=lambda crash: len(crash[0]))
            out.append(f"    x{len(crashes)} {place}: {message}")
            out.append(f"      shortest{''.join(f', {k}={v!r}' for k, v in params.items())}: {short(data)}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--examples", type=int, default=300, help="fuzz inputs a target (default 300)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: a random one, printed)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = Path(tmp)
        servers = start_servers(folder)  # the bomb takes seconds to build: done while the fuzz runs
        try:
            fuzzed = fuzz(args.examples, seed)
            served = servers.stdout.readline()
            if not served:
                raise SystemExit("the server process failed:\n" + (folder / "servers.stderr").read_text(errors="replace"))
            crawled = crawl_report(folder, json.loads(served))
        finally:
            servers.kill()
            servers.wait()
    print("\n".join(crawled + fuzzed))


if __name__ == "__main__":
    main()
