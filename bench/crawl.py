"""Pages per second through the whole crawl pipeline, next to bare trafilatura on the same HTML.

Serves a synthetic site of N article pages on 127.0.0.1, times `trafilatura.extract` over every
page in this process (the baseline), then times complete crawls (fetch, extract, clean, dedupe,
match, store) of the same site, in-process and with an extraction process pool, and prints the
ratios. Run:  .venv/bin/python bench/crawl.py --pages 500
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import build_site

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


def pipeline(feed: str, workers: int, expected: int) -> float:
    """Pages per second of one complete crawl, run in a fresh process (Scrapy's reactor runs once)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(CONFIG.format(db=Path(tmp) / "bench.db", workers=workers, feed=feed))
        out = subprocess.run(
            [sys.executable, __file__, "--inner", str(config)], capture_output=True, text=True, check=True
        ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["new_articles"] != expected:
        raise SystemExit(f"pipeline stored {result['new_articles']} articles, expected {expected}")
    return result["new_articles"] / result["seconds"]


def inner(config_path: str) -> None:
    """Child process: time one crawl from the first request to the last commit."""
    from crawler.run import crawl
    from newswatch.config import load_config

    config = load_config(config_path)
    started = time.perf_counter()
    result = crawl(config, deliver=False)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "new_articles": result.stats["bench"].new_articles}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--inner", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner)
        return
    site = build_site(args.pages)
    with SiteServer(root=None) as server:
        for path, body in site.pages.items():
            server.put(path, body)
        paths = [a.path for a in site.articles]
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
