"""Pages per second of `newswatch crawl` with the default config, next to bare trafilatura on the same HTML.

Serves the 181 real news pages of ../shared/extraction-benchmark, each under three URLs (543
pages), from `--hosts` loopback hosts (127.0.100.1, …; one source and one feed a host), because the
default politeness (0.5 s between requests to a host) puts a floor of pages-per-host × 0.5 s under
the crawl whatever the extraction speed: 4.5 s at the default 60 hosts, under what 1.4× the baseline
allows; more hosts lower it but cost a robots.txt and a feed request each (181 hosts measured slower).
Then, in this run:
  - the baseline: `trafilatura.extract` over every page, one process;
  - `newswatch crawl` with the default config (only [storage] and the sources set), timed from
    process start to exit, and the same with `extraction_workers = 0` (no pool);
  - small crawls (10 to 160 pages on one host) with the default pool and with `extraction_workers = 0`,
    to show what the pool costs where there is little to extract.
Run:  .venv/bin/python bench/crawl.py [--hosts 60] [--no-threshold]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils
import trafilatura

from newswatch.demo.server import SiteServer

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "extraction-benchmark" / "data" / "scrapinghub" / "html"
COPIES = 3
SMALL_CRAWLS = (10, 20, 40, 80, 160)  # pages


def config_text(db: Path, feeds: list[str], extra: str = "") -> str:
    sources = "".join(f'\n[[sources]]\nname = "host{i}"\nfeeds = ["{feed}"]\n' for i, feed in enumerate(feeds))
    return f'[storage]\ndatabase = "{db}"\n{extra}{sources}'


def page_url(host: str, n: int) -> str:
    return f"{host}/news/{n}.html"


def serve(stack: ExitStack, pages: list[bytes], hosts: int) -> list[str]:
    """Spread `pages` over `hosts` servers (page n on host n % hosts); returns each host's feed URL."""
    servers = [stack.enter_context(SiteServer(root=None, host=f"127.0.100.{i + 1}")) for i in range(hosts)]
    paths: dict[int, list[str]] = {i: [] for i in range(hosts)}
    for n, html in enumerate(pages):
        path = page_url("", n)
        servers[n % hosts].put(path, html, "text/html; charset=utf-8")
        paths[n % hosts].append(path)
    for host, server in enumerate(servers):
        items = "".join(f"<item><link>{server.url(p)}</link></item>" for p in paths[host])
        server.put("/feed.rss", f'<rss version="2.0"><channel><title>h{host}</title>{items}</channel></rss>')
    return [server.url("/feed.rss") for server in servers]


@contextmanager
def farm(hosts: int) -> Iterator[list[str]]:
    """The servers of serve(), in a process of their own, so that they share no GIL or heap with the
    baseline's leftovers here; yields each host's feed URL."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(hosts)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        yield json.loads(child.stdout.readline())
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def serve_forever(hosts: int) -> None:
    """Child process of farm(): serves until its stdin closes."""
    with ExitStack() as stack:
        print(json.dumps(serve(stack, real_pages(), hosts)), flush=True)
        sys.stdin.read()


def serve_small(stack: ExitStack, pages: list[bytes]) -> str:
    """One host with a feed `/small{size}.rss` of each of SMALL_CRAWLS sizes; returns its base URL."""
    server = stack.enter_context(SiteServer(root=None, host="127.0.101.1"))
    for n, html in enumerate(pages[: max(SMALL_CRAWLS)]):
        server.put(f"/p/{n}.html", html, "text/html; charset=utf-8")
    for size in SMALL_CRAWLS:
        items = "".join(f"<item><link>{server.url(f'/p/{n}.html')}</link></item>" for n in range(size))
        server.put(f"/small{size}.rss", f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>')
    return server.url("")


def real_pages() -> list[bytes]:
    files = sorted(REAL_PAGES.glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no pages in {REAL_PAGES}")
    return [gzip.decompress(f.read_bytes()) for _ in range(COPIES) for f in files]


def bare_trafilatura(pages: list[bytes], hosts: int) -> float:
    """Pages per second of trafilatura.extract alone, in this process, with URLs like the crawl's."""
    decoded = [(page_url(f"http://127.0.100.{n % hosts + 1}", n), html.decode()) for n, html in enumerate(pages)]
    started = time.perf_counter()
    for url, html in decoded:
        trafilatura.extract(html, url=url)
    return len(decoded) / (time.perf_counter() - started)


def end_to_end(feeds: list[str], expected: int, extra: str = "") -> dict:
    """One `newswatch crawl` process, start to exit; what it stored."""
    newswatch = Path(sys.executable).parent / "newswatch"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        config = Path(tmp) / "config.toml"
        config.write_text(config_text(db, feeds, extra))
        started = time.perf_counter()
        subprocess.run([str(newswatch), "crawl", "--config", str(config)], capture_output=True, check=True)
        seconds = time.perf_counter() - started
        stored = sqlite_utils.Database(db)
        kinds = {r["kind"]: r["n"] for r in stored.query("select kind, count(*) n from urls group by kind")}
    done = kinds.get("article", 0) + kinds.get("skipped", 0)
    return {"seconds": seconds, "pages": expected / seconds, "stored": done / expected, "kinds": kinds}


def small_crawl(base: str, pages: int, extra: str, repeat: int = 3) -> float:
    """Best seconds, process start to exit, of `repeat` crawls of one source listing `pages` pages."""
    return min(end_to_end([f"{base}/small{pages}.rss"], pages, _FAST + extra)["seconds"] for _ in range(repeat))


# Small crawls run on one host, so politeness is off: they measure extraction, not the delay.
_FAST = "[crawl]\ndownload_delay = 0\nautothrottle = false\nmax_concurrency_per_domain = 16\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hosts", type=int, default=60, choices=range(1, 255), metavar="N", help="loopback hosts")
    parser.add_argument("--no-threshold", action="store_true", help="skip the small crawls")
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve)
        return
    pages = real_pages()
    baseline = bare_trafilatura(pages, args.hosts)
    with farm(args.hosts) as feeds:
        default = end_to_end(feeds, len(pages))
        no_pool = end_to_end(feeds, len(pages), "[crawl]\nextraction_workers = 0\n")
    baseline_after = bare_trafilatura(pages, args.hosts)
    print(f"pages: {len(pages)} on {args.hosts} hosts; bare trafilatura.extract, one process:")
    print(f"  before the crawls {baseline:6.1f} pages/s, after {baseline_after:6.1f} pages/s  (baseline: the mean)")
    base = (baseline + baseline_after) / 2
    for label, r in (("default config", default), ("extraction_workers = 0", no_pool)):
        print(
            f"newswatch crawl, {label:24s} {r['seconds']:5.1f} s start to exit, {r['pages']:6.1f} pages/s,"
            f" ratio {r['pages'] / base:.2f}x, stored {100 * r['stored']:.1f}% {r['kinds']}"
        )
    if args.no_threshold:
        return
    print("what the pool costs small crawls of one host, best of 3 (seconds from process start; lower is better):")
    with ExitStack() as stack:
        small_host = serve_small(stack, pages)
        for size in SMALL_CRAWLS:
            never = small_crawl(small_host, size, "extraction_workers = 0\n")
            pool = small_crawl(small_host, size, "")
            print(f"  {size:4d} pages: extraction_workers = 0 {never:5.2f} s, default (pool) {pool:5.2f} s")


if __name__ == "__main__":
    main()
