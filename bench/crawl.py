"""Pages per second through the whole crawl pipeline, next to bare trafilatura on the same HTML.

Serves a local site of at least 500 article pages on 127.0.0.1 — by default the 181 real news
pages of ../shared/extraction-benchmark, each served under three URLs (543 pages); with
--synthetic, generated pages — times `trafilatura.extract` over every page in this process (the
baseline), then times complete crawls (fetch, extract, clean, dedupe, match, store) of the same
site, with extraction in the crawl process and in a pool of 2 processes, and prints the ratios.
Run:  .venv/bin/python bench/crawl.py            (or --synthetic --pages 500)
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import build_site

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "extraction-benchmark" / "data" / "scrapinghub" / "html"
COPIES = 3

CONFIG = """
[storage]
database = "{db}"

[crawl]
user_agent = "newswatch-bench/0.1"
download_delay = 0
autothrottle = false
max_concurrency = 32
max_concurrency_per_domain = 16
extraction_workers = {workers}

[[sources]]
name = "bench"
feeds = ["{feed}"]
"""


def bare_trafilatura(server: SiteServer, paths: list[str]) -> float:
    """Pages per second of trafilatura.extract alone over the served HTML."""
    pages = [(server.url(p), server.lookup(p).body.decode()) for p in paths]
    started = time.perf_counter()
    for url, html in pages:
        trafilatura.extract(html, url=url)
    return len(pages) / (time.perf_counter() - started)


def real_site(server: SiteServer) -> list[str]:
    """The benchmark's real pages, each under COPIES paths, and a feed listing them all."""
    files = sorted(REAL_PAGES.glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no pages in {REAL_PAGES}; run with --synthetic")
    paths = []
    for copy in range(COPIES):
        for file in files:
            path = f"/copy{copy}/{file.name.removesuffix('.gz')}"
            server.put(path, gzip.decompress(file.read_bytes()), "text/html; charset=utf-8")
            paths.append(path)
    items = "".join(f"<item><link>{{{{BASE}}}}{p}</link></item>" for p in paths)
    server.put("/news/feed.rss", f'<rss version="2.0"><channel><title>bench</title>{items}</channel></rss>')
    return paths


def synthetic_site(server: SiteServer, pages: int) -> list[str]:
    site = build_site(pages)
    for path, body in site.pages.items():
        server.put(path, body)
    return [a.path for a in site.articles]


def pipeline(feed: str, workers: int, expected: int) -> float:
    """Pages per second of one complete crawl, run in a fresh process (Scrapy's reactor runs once)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(CONFIG.format(db=Path(tmp) / "bench.db", workers=workers, feed=feed))
        out = subprocess.run(
            [sys.executable, __file__, "--inner", str(config)], capture_output=True, text=True, check=True
        ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["pages"] != expected:
        raise SystemExit(f"pipeline processed {result['pages']} pages, expected {expected}: {result}")
    print(f"  workers={workers}: {result}")
    return result["pages"] / result["seconds"]


def inner(config_path: str) -> None:
    """Child process: time one crawl from the first request to the last commit."""
    from crawler.run import crawl
    from newswatch.config import load_config

    config = load_config(config_path)
    started = time.perf_counter()
    stats = crawl(config, deliver=False).stats["bench"]
    seconds = time.perf_counter() - started
    pages = stats.new_articles + stats.duplicates + sum(stats.skipped.values())
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "pages": pages,
                "new": stats.new_articles,
                "duplicates": stats.duplicates,
                "skipped": stats.skipped,
                "errors": stats.errors,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="generated pages instead of the real ones")
    parser.add_argument("--pages", type=int, default=500, help="with --synthetic: how many")
    parser.add_argument("--inner", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner)
        return
    with SiteServer(root=None) as server:
        paths = synthetic_site(server, args.pages) if args.synthetic else real_site(server)
        feed = server.url("/news/feed.rss")
        baseline = bare_trafilatura(server, paths)
        single = pipeline(feed, 0, len(paths))
        pooled = pipeline(feed, 2, len(paths))
    print(f"pages: {len(paths)}")
    print(f"bare trafilatura.extract, one process: {baseline:7.1f} pages/s  (baseline)")
    print(f"crawl pipeline, extraction in-process: {single:7.1f} pages/s  ratio {single / baseline:.2f}x")
    print(f"crawl pipeline, 2 extraction workers:  {pooled:7.1f} pages/s  ratio {pooled / baseline:.2f}x")


if __name__ == "__main__":
    main()
