"""Pages per second of `newswatch crawl` with the default config, next to bare trafilatura on the same HTML.

Serves the 181 real news pages of ../shared/extraction-benchmark, each under three URLs (543
pages), from HOSTS loopback hosts (127.0.100.1, …; one source and one feed a host), because the
default politeness (0.5 s between requests to a host, 2 at a time) would make one host's crawl
last minutes whatever the extraction speed. Then, in this run:
  - the baseline: `trafilatura.extract` over every page, one process;
  - `newswatch crawl` with the default config (only [storage] and the sources set), timed from
    process start to exit, and the same with `extraction_workers = 0` (no pool);
  - the pool threshold (crawler.pipelines.POOL_AFTER): small crawls with the pool started at
    once and never, in process, to show where the pool starts to pay.
Run:  .venv/bin/python bench/crawl.py [--no-threshold]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from contextlib import ExitStack
from pathlib import Path

import sqlite_utils
import trafilatura

from newswatch.demo.server import SiteServer

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "extraction-benchmark" / "data" / "scrapinghub" / "html"
COPIES = 3
HOSTS = 60
SMALL_CRAWLS = (10, 20, 40, 80, 160)  # pages, for the pool threshold


def config_text(db: Path, feeds: list[str], extra: str = "") -> str:
    sources = "".join(f'\n[[sources]]\nname = "host{i}"\nfeeds = ["{feed}"]\n' for i, feed in enumerate(feeds))
    return f'[storage]\ndatabase = "{db}"\n{extra}{sources}'


def serve(stack: ExitStack, pages: list[bytes]) -> tuple[list[str], list[tuple[str, bytes]]]:
    """Spread `pages` over HOSTS servers; returns each host's feed URL and every (url, html)."""
    servers = [stack.enter_context(SiteServer(root=None, host=f"127.0.100.{i + 1}")) for i in range(HOSTS)]
    served: list[tuple[str, bytes]] = []
    paths: dict[int, list[str]] = {i: [] for i in range(HOSTS)}
    for n, html in enumerate(pages):
        host = n % HOSTS
        path = f"/news/{n}.html"
        servers[host].put(path, html, "text/html; charset=utf-8")
        paths[host].append(path)
        served.append((servers[host].url(path), html))
    for host, server in enumerate(servers):
        items = "".join(f"<item><link>{server.url(p)}</link></item>" for p in paths[host])
        server.put("/feed.rss", f'<rss version="2.0"><channel><title>h{host}</title>{items}</channel></rss>')
    return [server.url("/feed.rss") for server in servers], served


def real_pages() -> list[bytes]:
    files = sorted(REAL_PAGES.glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no pages in {REAL_PAGES}")
    return [gzip.decompress(f.read_bytes()) for _ in range(COPIES) for f in files]


def bare_trafilatura(served: list[tuple[str, bytes]]) -> float:
    """Pages per second of trafilatura.extract alone, in this process."""
    pages = [(url, html.decode()) for url, html in served]
    started = time.perf_counter()
    for url, html in pages:
        trafilatura.extract(html, url=url)
    return len(pages) / (time.perf_counter() - started)


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


def small_crawl(feeds: list[str], pages: int, pool_after: int | None, repeat: int = 3) -> float:
    """Best seconds of `repeat` crawls of `pages` pages, the pool started after `pool_after` (None: no pool)."""
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--inner", json.dumps([feeds[:1], pages, pool_after])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        times.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    return min(times)


def inner(spec: str) -> None:
    """Child process: one source whose feed lists `pages` pages; prints the seconds from import to the end."""
    started = time.perf_counter()
    feeds, pages, pool_after = json.loads(spec)
    import crawler.pipelines
    from crawler.run import crawl
    from newswatch.config import parse_config

    if pool_after is not None:
        crawler.pipelines.POOL_AFTER = pool_after
    with tempfile.TemporaryDirectory() as tmp:
        workers = "" if pool_after is not None else "extraction_workers = 0\n"
        feed = feeds[0].replace("/feed.rss", f"/small{pages}.rss")
        text = config_text(Path(tmp) / "b.db", [feed], _FAST + workers)
        crawl(parse_config(tomllib.loads(text), Path(tmp) / "c.toml"), deliver=False)
    print(json.dumps({"seconds": time.perf_counter() - started}))


# Small crawls run on one host, so politeness is off: they measure extraction, not the delay.
_FAST = "[crawl]\ndownload_delay = 0\nautothrottle = false\nmax_concurrency_per_domain = 16\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--no-threshold", action="store_true", help="skip the pool threshold crawls")
    args = parser.parse_args()
    if args.inner:
        inner(args.inner)
        return
    pages = real_pages()
    with ExitStack() as stack:
        feeds, served = serve(stack, pages)
        first = stack.enter_context(SiteServer(root=None, host="127.0.101.1"))
        for n, html in enumerate(pages[: max(SMALL_CRAWLS)]):
            first.put(f"/p/{n}.html", html, "text/html; charset=utf-8")
        for size in SMALL_CRAWLS:
            items = "".join(f"<item><link>{first.url(f'/p/{n}.html')}</link></item>" for n in range(size))
            first.put(f"/small{size}.rss", f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>')
        small_feed = [first.url("/feed.rss")]
        baseline = bare_trafilatura(served)
        default = end_to_end(feeds, len(pages))
        no_pool = end_to_end(feeds, len(pages), "[crawl]\nextraction_workers = 0\n")
        baseline_after = bare_trafilatura(served)
        print(f"pages: {len(pages)} on {HOSTS} hosts; bare trafilatura.extract, one process:")
        print(f"  before the crawls {baseline:6.1f} pages/s, after {baseline_after:6.1f} pages/s  (baseline: the mean)")
        base = (baseline + baseline_after) / 2
        for label, r in (("default config", default), ("extraction_workers = 0", no_pool)):
            print(
                f"newswatch crawl, {label:24s} {r['seconds']:5.1f} s start to exit, {r['pages']:6.1f} pages/s,"
                f" ratio {r['pages'] / base:.2f}x, stored {100 * r['stored']:.1f}% {r['kinds']}"
            )
        if args.no_threshold:
            return
        print("pool threshold, crawls of one host, best of 3 (seconds from process start; lower is better):")
        for size in SMALL_CRAWLS:
            never = small_crawl(small_feed, size, None)
            at_once = small_crawl(small_feed, size, 1)
            print(f"  {size:4d} pages: no pool {never:5.2f} s, pool from the first page {at_once:5.2f} s")


if __name__ == "__main__":
    main()
