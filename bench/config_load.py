"""Loading a config of 20,000 sources from a nested OPML export, and `sources list` / `status` over them.

A feed reader's export is generated in a temporary folder: folders of folders, categories, one
feed in a hundred listed twice, titles that repeat or have no Latin letters. The config points at
it with `sources_file` and carries the shipped default rules. Printed, each the median of --runs:

- load_config (parse, validate every source, compile the rules), against the baseline of parsing
  the same OPML with lxml alone, in this process; target: load and validate under 2 s;
- `newswatch sources list --json` and `newswatch status --json` end to end as subprocesses (the
  database holding --history runs per source and the daemon's schedule), against the baseline of
  a subprocess that only imports the command line.

    python bench/config_load.py [--sources 20000] [--history 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from newswatch.config import load_config
from newswatch.daemon import state
from newswatch.models import utcnow
from newswatch.storage import Storage, iso

TARGET_SECONDS = 2.0
REGIONS = ("Korea", "Russia", "Ukraine", "China", "Japan", "Europe", "Americas", "Africa", "Middle East", "Asia")
SECTIONS = ("World", "Politics", "Defence", "Economy", "Analysis", "Opinion", "Wires", "Local")


def write_opml(path: Path, count: int) -> None:
    """`count` distinct feeds in region/section folders; one in a hundred listed again under Watchlist."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "<head/>", "<body>"]
    per_folder = -(-count // (len(REGIONS) * len(SECTIONS)))
    watch = []
    n = 0
    for region in REGIONS:
        lines.append(f"<outline text={quoteattr(region)}>")
        for section in SECTIONS:
            lines.append(f"  <outline text={quoteattr(section)} title={quoteattr(section)}>")
            for _ in range(min(per_folder, count - n)):
                lines.append("    " + _feed(n))
                if n % 100 == 0:
                    watch.append(_feed(n))
                n += 1
            lines.append("  </outline>")
        lines.append("</outline>")
    lines += ['<outline text="Watchlist">', *watch, "</outline>", "</body>", "</opml>"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _feed(n: int) -> str:
    host = f"outlet{n % 2500}.example.org"
    # Titles repeat across outlets ("World"), some are Korean, some absent: names are numbered or taken from the URL.
    title = ("World", f"Outlet {n} News", f"북한 뉴스 {n}", "")[n % 4]
    category = f' category="/topic/{n % 7},watch"' if n % 3 == 0 else ""
    return (
        f'<outline type="rss" text={quoteattr(title)} xmlUrl="https://{host}/feed/{n}.xml" '
        f'htmlUrl="https://{host}/"{category}/>'
    )


def write_database(config_path: Path, history: int) -> None:
    """`history` runs per source (the last one of every tenth source failed) and the schedule of a running daemon."""
    config = load_config(config_path)
    storage = Storage(config.storage.database)
    now = utcnow()
    runs, schedule = [], []
    for i, source in enumerate(config.sources):
        for k in range(history):
            ok = 0 if (i % 10 == 0 and k == history - 1) else 1
            started = iso(now - timedelta(minutes=15 * (history - k)))
            runs.append((source.name, started, started, ok, "" if ok else f"{source.feeds[0]}: HTTP 503"))
        schedule.append((source.name, iso(now + timedelta(seconds=i % 900)), iso(now)))
    with storage.transaction() as db:
        db.conn.executemany(
            "insert into source_runs (source, started, finished, ok, message) values (?, ?, ?, ?, ?)", runs
        )
        state.ensure_schema(db)
        state.mark_started(db)
        db.conn.executemany("insert into schedule (source, next_run, updated) values (?, ?, ?)", schedule)
    storage.close()


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "newswatch", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"newswatch {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=5, help="stored runs per source for `status`")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nw-config-bench-") as tmp:
        folder = Path(tmp)
        opml = folder / "feeds.opml"
        write_opml(opml, args.sources)
        config_path = folder / "config.toml"
        config_path.write_text(
            'sources_file = "feeds.opml"\n\n[storage]\ndatabase = "nw.db"\n\n[source_defaults]\nevery = "15m"\n',
            encoding="utf-8",
        )
        config = load_config(config_path)
        assert len(config.sources) == args.sources, len(config.sources)
        parser_options = dict(resolve_entities=False, no_network=True, huge_tree=True)
        baseline = median_seconds(lambda: etree.parse(str(opml), etree.XMLParser(**parser_options)), args.runs)
        loading = median_seconds(lambda: load_config(config_path), args.runs)
        size = opml.stat().st_size / 1e6
        print(f"config bench: {args.sources} sources in a nested OPML file of {size:.1f} MB, {len(config.rules)} rules")
        verdict = "ok" if loading < TARGET_SECONDS else "TOO SLOW"
        print(f"  load_config (parse, validate, rules): {loading:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")
        print(f"  baseline, lxml parse of the OPML alone: {baseline:.3f} s; ratio {loading / baseline:.1f}x")

        only_imports = [sys.executable, "-c", "import newswatch.cli"]
        imports = median_seconds(lambda: subprocess.run(only_imports, check=True), args.runs)
        listing = median_seconds(lambda: cli("sources", "list", "--json", "--config", str(config_path)), args.runs)
        count = len(json.loads(cli("sources", "list", "--json", "--config", str(config_path)).stdout))
        print(f"  `newswatch sources list --json` ({count} sources): {listing:.2f} s end to end")

        write_database(config_path, args.history)
        status = median_seconds(lambda: cli("status", "--json", "--config", str(config_path)), args.runs)
        summary = json.loads(cli("status", "--json", "--config", str(config_path)).stdout)["summary"]
        human = median_seconds(lambda: cli("status", "--config", str(config_path)), args.runs)
        print(
            f"  `newswatch status --json` ({args.history} runs per source, {summary['counts']['failing']} failing): "
            f"{status:.2f} s end to end; the summary for people: {human:.2f} s"
        )
        print(f"  baseline, a subprocess that imports the command line: {imports:.2f} s; "
              f"ratios {listing / imports:.1f}x (list), {status / imports:.1f}x (status)")


if __name__ == "__main__":
    main()
