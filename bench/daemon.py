"""Does the daemon leak? Run `newswatch run` for many crawl cycles against a local site and watch it.

Records the daemon process's resident memory and open file descriptors (from /proc) after every
crawl cycle (one `source_runs` row), and prints their growth from cycle 50 to the end (target:
under 10 % memory, no descriptors) and the CPU seconds per idle cycle (every feed answers 304),
for the daemon itself and for its crawl subprocesses, against one standalone `newswatch crawl`
of the same unchanged feed measured here first.

    python bench/daemon.py                 # 300 cycles, 3 sources each every 1s
    python bench/daemon.py --cycles 600 --sources 4
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from newswatch.demo.server import SiteServer
from newswatch.demo.synthetic import build_site

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
WARMUP = 50  # cycles before memory and descriptors are expected to be steady
WINDOW = 10  # samples averaged (memory) or minimised (descriptors) at each end


def write_config(folder: Path, site: SiteServer, sources: int, every: str) -> Path:
    text = textwrap.dedent(
        """
        [storage]
        database = "newswatch.db"

        [crawl]
        download_delay = 0
        autothrottle = false
        """
    )
    for i in range(sources):
        text += f'\n[[sources]]\nname = "s{i}"\nfeeds = ["{site.url(f"/s{i}/feed.rss")}"]\nevery = "{every}"\n'
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own, reaped children's) user+system CPU seconds of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime) / TICKS, (cutime + cstime) / TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cycles(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select count(*) from source_runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def standalone_crawl_cpu(config: Path) -> float:
    """CPU seconds of one `newswatch crawl` of a source whose feed is unchanged (the baseline)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "newswatch", "crawl", "--config", str(config), "--source", "s0", "--quiet"],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--every", default="1s")
    args = parser.parse_args()

    with SiteServer(root=None) as site, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.sources):
            for path, body in build_site(5, seed=i, prefix=f"/s{i}").pages.items():
                site.put(path, body)
        folder = Path(tmp)
        config = write_config(folder, site, args.sources, args.every)
        db = folder / "newswatch.db"
        subprocess.run(
            [sys.executable, "-m", "newswatch", "crawl", "--config", str(config), "--source", "s0", "--quiet"],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        baseline = standalone_crawl_cpu(config)

        daemon = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newswatch",
                "run",
                "--config",
                str(config),
                "--log-file",
                str(folder / "daemon.log"),
            ],
            cwd=REPO,
        )
        samples: list[tuple[int, int, int, float, float]] = []  # cycle, rss KiB, fds, own CPU, children CPU
        started = time.monotonic()
        try:
            seen = 0
            while seen < args.cycles:
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited with {daemon.returncode}; see {folder / 'daemon.log'}")
                count = cycles(db)
                if count > seen:
                    seen = count
                    samples.append((count, rss_kib(daemon.pid), open_fds(daemon.pid), *cpu_seconds(daemon.pid)))
                time.sleep(0.05)
            elapsed = time.monotonic() - started
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(60)
        idle_statuses = (
            sqlite3.connect(db)
            .execute("select count(*), sum(not_modified > 0 and new_articles = 0) from source_runs")
            .fetchone()
        )

    steady = [s for s in samples if s[0] >= WARMUP]
    first, last = steady[0], steady[-1]
    # Each running crawl holds a pipe for a moment: compare the fewest descriptors near each end.
    head, tail = steady[:WINDOW], steady[-WINDOW:]
    rss_start, rss_end = (sum(s[1] for s in part) / len(part) for part in (head, tail))
    fds_start, fds_end = (min(s[2] for s in part) for part in (head, tail))
    rss_growth = (rss_end - rss_start) / rss_start
    idle_cycles = last[0] - first[0]
    own_cpu = (last[3] - first[3]) / idle_cycles
    crawl_cpu = (last[4] - first[4]) / idle_cycles
    print(f"daemon bench: {samples[-1][0]} crawl cycles of {args.sources} sources every {args.every} in {elapsed:.0f}s")
    print(f"  idle cycles (feed 304, nothing new): {idle_statuses[1]} of {idle_statuses[0]}")
    print(
        f"  resident memory (mean of {WINDOW} samples): cycle {first[0]} {rss_start / 1024:.1f} MiB -> "
        f"cycle {last[0]} {rss_end / 1024:.1f} MiB, growth {rss_growth:+.1%} (target < 10%)"
    )
    print(
        f"  open descriptors (least of {WINDOW} samples): {fds_start} -> {fds_end}, growth {fds_end - fds_start:+d}"
        f" (target 0; peak {max(s[2] for s in steady)} while crawls run)"
    )
    print(f"  CPU per idle cycle: daemon {own_cpu * 1000:.1f} ms, crawl subprocess {crawl_cpu:.2f} s")
    print(f"  baseline, one standalone `newswatch crawl` of an unchanged feed: {baseline:.2f} s CPU")
    print(f"  ratio (daemon + subprocess per cycle) / standalone crawl: {(own_cpu + crawl_cpu) / baseline:.2f}")
    print(f"  daemon exit status after SIGTERM: {code}")


if __name__ == "__main__":
    main()
