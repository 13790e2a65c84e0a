"""Does the daemon leak? Run `newswatch run` for many crawl cycles against a local site and watch it.

Records the resident memory and open file descriptors (from /proc) of the daemon and of its
crawl engine (with the engine's extraction workers) after every crawl cycle (one `source_runs`
row), and prints their growth from cycle 50 to the end (target: under 10 % memory, no
descriptors) and the CPU per idle cycle (every feed answers 304) of each, against one
standalone `newswatch crawl` of the same unchanged feed measured here first.

    python bench/daemon.py                 # 1000 cycles, 4 sources each every 1s
    python bench/daemon.py --cycles 300 --sources 3
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


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass
    return found


def tree(pid: int) -> list[int]:
    pids = [pid]
    for member in pids:
        pids.extend(children(member))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User+system CPU seconds of running processes, with the children each has reaped."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15])
    return total / TICKS


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def open_fds(pids: list[int]) -> int:
    return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in pids)


def sample(count: int, daemon: int, engine: list[int]) -> tuple:
    """One row: cycle, then (rss KiB, fds, CPU s) of the daemon alone and of the engine's tree."""
    return (count, rss_kib([daemon]), open_fds([daemon]), cpu_seconds([daemon]), rss_kib(engine), open_fds(engine), cpu_seconds(engine))


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
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=4)
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
        samples: list[tuple] = []
        started = time.monotonic()
        try:
            seen = 0
            while seen < args.cycles:
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited with {daemon.returncode}; see {folder / 'daemon.log'}")
                count = cycles(db)
                engines = children(daemon.pid)
                if count > seen and len(engines) == 1:
                    seen = count
                    try:
                        samples.append(sample(count, daemon.pid, tree(engines[0])))
                    except OSError:
                        pass  # an extraction worker came or went while we read it
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
    idle_cycles = last[0] - first[0]
    print(f"daemon bench: {samples[-1][0]} crawl cycles of {args.sources} sources every {args.every} in {elapsed:.0f}s")
    print(f"  idle cycles (feed 304, nothing new): {idle_statuses[1]} of {idle_statuses[0]}")
    cpu = {}
    for name, column in (("daemon", 1), ("engine", 4)):
        # A run in flight holds a socket for a moment: compare the fewest descriptors near each end.
        head, tail = steady[:WINDOW], steady[-WINDOW:]
        rss_start, rss_end = (sum(s[column] for s in part) / len(part) for part in (head, tail))
        fds_start, fds_end = (min(s[column + 1] for s in part) for part in (head, tail))
        cpu[name] = (last[column + 2] - first[column + 2]) / idle_cycles
        print(
            f"  {name}: resident memory (mean of {WINDOW} samples) cycle {first[0]} {rss_start / 1024:.1f} MiB -> "
            f"cycle {last[0]} {rss_end / 1024:.1f} MiB, growth {(rss_end - rss_start) / rss_start:+.1%} (target < 10%); "
            f"descriptors {fds_start} -> {fds_end}, growth {fds_end - fds_start:+d} (target 0)"
        )
    print(f"  CPU per idle cycle: daemon {cpu['daemon'] * 1000:.1f} ms, engine {cpu['engine'] * 1000:.1f} ms")
    print(f"  baseline, one standalone `newswatch crawl` of an unchanged feed: {baseline:.2f} s CPU")
    print(f"  ratio (daemon + engine per cycle) / standalone crawl: {(cpu['daemon'] + cpu['engine']) / baseline:.3f}")
    print(f"  daemon exit status after SIGTERM: {code}")


if __name__ == "__main__":
    main()
