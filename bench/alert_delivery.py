"""Alert delivery on loopback: latency from commit to webhook arrival, and outbox throughput.

Each figure is printed next to a baseline measured in the same process: a bare urllib POST of
the same body to the same receiver (latency, throughput), and the article commit without an
alert (enqueue cost).

    .venv/bin/python bench/alert_delivery.py [--alerts 100] [--throughput 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from alerts import events, outbox, render
from alerts.delivery import Dispatcher
from newswatch.config import Config, load_config
from newswatch.demo.receivers import WebhookReceiver
from newswatch.models import Article, Match
from newswatch.storage import Storage

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"  # ../shared beside the repository


def sample_text() -> str:
    """Real coverage if the shared seeds are there, else a stand-in of similar length."""
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return seeds[0].read_text(encoding="utf-8") if seeds else "North Korean workers were sent to Russia. " * 100


def article(i: int, text: str) -> tuple[Article, list[Match]]:
    a = Article(
        url=f"https://bench.test/{i}",
        canonical_url=f"https://bench.test/{i}",
        source="bench",
        title=f"Bench article {i}: laborers sent to Russia",
        text=text,
        fetched=datetime.now(timezone.utc),
    )
    return a, [Match("dprk-labor", "labor", 1.0, ("laborers",), text[:300])]


def commit(storage: Storage, config: Config, i: int, text: str, with_alert: bool = True) -> None:
    a, matches = article(i, text)
    with storage.transaction():
        article_id = storage.insert_article(a, content_hash=a.url)
        storage.save_matches(article_id, matches)
        if with_alert:
            outbox.enqueue(storage.db, events.article_matched(article_id, a, matches), config.alerts)


def configure(folder: Path, hook: WebhookReceiver) -> Config:
    path = folder / "config.toml"
    path.write_text(f'[storage]\ndatabase = "nw.db"\n\n[[alerts.webhook]]\nname = "bench"\nurl = "{hook.url}"\n', encoding="utf-8")
    return load_config(path)


def raw_posts(hook: WebhookReceiver, body: bytes, n: int) -> tuple[list[float], float]:
    """Arrival latencies and total seconds of `n` bare POSTs, one after another."""
    latencies, start = [], time.perf_counter()
    for _ in range(n):
        before = time.time()
        request = urllib.request.Request(hook.url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        latencies.append(hook.requests[-1].arrived - before)
    return latencies, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100, help="alerts for the latency figure")
    parser.add_argument("--throughput", type=int, default=1000, help="alerts for the throughput figure")
    args = parser.parse_args()
    text = sample_text()
    body = json.dumps(render.alert_payload(events.article_matched(0, *article(0, text)), "json")).encode()

    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver() as hook:
        config = configure(Path(tmp), hook)
        storage = Storage(config.storage.database)
        dispatcher = Dispatcher(config)
        dispatcher.start()
        latencies = []
        for i in range(args.alerts):
            commit(storage, config, i, text)
            committed = time.time()
            dispatcher.kick()
            latencies.append(hook.wait_for(i + 1)[-1].arrived - committed)
        dispatcher.stop(timeout=10)
        baseline, _ = raw_posts(hook, body, args.alerts)
        median, base = statistics.median(latencies), statistics.median(baseline)
        p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
        print(f"latency commit → webhook arrival, median of {args.alerts}: {median * 1000:.1f} ms (p95 {p95 * 1000:.1f} ms; target < 100 ms)")
        print(f"  baseline bare POST → arrival, median: {base * 1000:.2f} ms; ratio {median / base:.1f}x")

        start = time.perf_counter()
        for i in range(args.alerts, args.alerts + args.throughput):
            commit(storage, config, i, text)
        with_alert = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(args.alerts + args.throughput, args.alerts + 2 * args.throughput):
            commit(storage, config, i, text, with_alert=False)
        without = time.perf_counter() - start
        print(f"article commit with alert: {with_alert / args.throughput * 1000:.2f} ms; without: {without / args.throughput * 1000:.2f} ms; ratio {with_alert / without:.2f}x")

        received = len(hook.requests)
        start = time.perf_counter()
        report = Dispatcher(config).deliver_due()
        elapsed = time.perf_counter() - start
        assert report.sent == args.throughput and len(hook.requests) == received + args.throughput
        _, raw = raw_posts(hook, body, args.throughput)
        rate, raw_rate = args.throughput / elapsed, args.throughput / raw
        print(f"outbox throughput, {args.throughput} alerts to one local webhook: {rate:.0f} alerts/s")
        print(f"  baseline bare sequential POSTs: {raw_rate:.0f} posts/s; ratio {rate / raw_rate:.2f}x")
        storage.close()


if __name__ == "__main__":
    main()
