"""Story assignment: time per new article as the index grows, and grouping precision and recall.

    .venv/bin/python bench/stories.py [--articles 100000] [--probes 200] [--pairs 300]

Fills a fresh SQLite file with synthetic articles (20 outlets, 1,000 a day, a fifth of them
retelling an earlier report, many carrying stock phrases, each a sentence of figures and names from a
small pool, so evidence keys are shared widely) and, at 1,000, 10,000 and 100,000 stored articles,
times `StoryIndex.assign` for new articles (each rolled back, so the size stays put), next to the
method before evidence (near-duplicates and shared phrases only) on the same file, and to comparing
the new MinHash with every stored one in memory with numpy. Then labeled pairs (edited copies,
retellings sharing quotes, same-subject non-pairs); the labelled multilingual set in bench/data/stories
(tune_* and the held-out holdout_*, never tuned on), both methods; and the sample coverage in
../shared/seeds, when present.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newswatch.config import StoriesConfig  # noqa: E402
from newswatch.models import Article  # noqa: E402
from newswatch.storage import Storage  # noqa: E402
from newswatch.stories.index import StoryIndex  # noqa: E402
from newswatch.stories.signatures import content_hash  # noqa: E402
from newswatch.stories.signatures import signature  # noqa: E402

START = datetime(2023, 1, 1, tzinfo=timezone.utc)
FIGURES = [10 * round(1.3**k) for k in range(5, 40)]  # 70 to 280,000: a few dozen values, as on one topic
UNITS = ["troops", "workers", "shells", "containers", "missiles", "killed"]
NAMES = ["Kursk", "Shoigu", "Vladivostok", "Rason", "Donetsk", "Lavrov", "Khabarovsk", "Kim Yo Jong", "Daily NK", "NIS"]
PER_DAY = 1000
OUTLETS = [f"outlet{i:02d}" for i in range(20)]
CHECKPOINTS = (1_000, 10_000, 100_000)
LABELLED = Path(__file__).resolve().parent / "data" / "stories"  # tune_*.json and holdout_*.json
# Grouping as it was before evidence: near-duplicates and shared phrase fingerprints only, one language.
BASELINE = StoriesConfig(evidence=False)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"  # ../shared beside the repository


class Corpus:
    """Random news-like text: Zipf-distributed pseudo-words, stock phrases, and reports to retell."""

    def __init__(self, seed: int = 1):
        self.rng = np.random.default_rng(seed)
        syllables = [c + v for c in "bdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        self.vocab = np.array(
            sorted({"".join(self.rng.choice(syllables, size=self.rng.integers(1, 4))) for _ in range(40_000)})
        )
        weights = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.05
        self.cdf = np.cumsum(weights / weights.sum())
        self.stock = [self.words(int(self.rng.integers(8, 16))) for _ in range(300)]
        self.reports: list[tuple[float, list[str]]] = []  # (when, quotes)

    def words(self, n: int) -> str:
        picks = np.searchsorted(self.cdf, self.rng.random(n) * self.cdf[-1])
        return " ".join(self.vocab[picks])

    def facts(self) -> str:
        """A sentence of figures and names, as news has: what story evidence reads (few values, often shared)."""
        figures = [f"{int(v):,} {u}" for v, u in zip(self.rng.choice(FIGURES, 2), self.rng.choice(UNITS, 2))]
        names = self.rng.choice(NAMES, 2, replace=False)
        return f"{figures[0]} and {figures[1]} near {names[0]}, said {names[1]} on Oct. {int(self.rng.integers(1, 29))}"

    def quote(self, low: int = 12, high: int = 30) -> str:
        return self.words(int(self.rng.integers(low, high + 1)))

    def article(self, quotes: list[str] = (), length: int = 250) -> str:
        parts = [self.words(length // 5) for _ in range(5)]
        parts.insert(int(self.rng.integers(0, 6)), self.facts())
        if self.rng.random() < 0.5:
            parts.insert(int(self.rng.integers(0, 6)), self.stock[int(self.rng.integers(0, len(self.stock)))])
        for q in quotes:
            parts.insert(int(self.rng.integers(0, len(parts) + 1)), f'"{q}"')
        return ". ".join(parts)

    def background(self, day: float) -> str:
        """Every fifth article retells a report of the last three days; the rest are news of their own."""
        recent = [quotes for when, quotes in self.reports[-300:] if day - when <= 3]
        if recent and self.rng.random() < 0.2:
            quotes = recent[int(self.rng.integers(0, len(recent)))]
            return self.article(list(self.rng.choice(quotes, size=2, replace=False)))
        if self.rng.random() < 0.05:
            self.reports.append((day, [self.quote() for _ in range(3)]))
            return self.article(self.reports[-1][1][:2])
        return self.article()

    def edited(self, text: str, rate: float) -> str:
        """A copy with `rate` of its words replaced, dropped or doubled, and a new first sentence."""
        words = text.split()
        out: list[str] = []
        for w in words:
            r = self.rng.random()
            if r < rate / 3:
                out.append(self.words(1))
            elif r < 2 * rate / 3:
                continue
            elif r < rate:
                out.extend([w, w])
            else:
                out.append(w)
        return self.words(15) + ". " + " ".join(out)


def insert(
    storage: Storage, text: str, source: str, when: datetime, title: str = "", language: str = "en", url: str = ""
) -> int:
    key = content_hash(text)
    url = url or f"https://{source}.example/{key}"
    article = Article(
        url=url, canonical_url=url, source=source, title=title or text[:60], text=text,
        fetched=when, published=when, language=language,
    )
    return storage.insert_article(article, content_hash=key)


def add(storage: Storage, index: StoryIndex, text: str, source: str, when: datetime) -> str:
    article_id = insert(storage, text, source, when)
    return index.assign(article_id, text, "en", when, source, title=text[:60]).story_id


@contextmanager
def rolled_back(storage: Storage) -> Iterator[None]:
    storage.db.conn.execute("BEGIN")
    try:
        yield
    finally:
        storage.db.conn.execute("ROLLBACK")


def fill(storage: Storage, index: StoryIndex, corpus: Corpus, start: int, stop: int) -> None:
    for chunk in range(start, stop, 1000):
        with storage.transaction():
            for n in range(chunk, min(stop, chunk + 1000)):
                when = START + timedelta(days=n / PER_DAY)
                add(storage, index, corpus.background(n / PER_DAY), OUTLETS[n % len(OUTLETS)], when)


def time_assign(
    storage: Storage, index: StoryIndex, corpus: Corpus, stored: int, probes: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per assignment (signature, lookups, verification, writes), each rolled back.

    CPU time is shown beside wall time because on a busy machine the wall-clock tail is mostly waiting.
    """
    when = START + timedelta(days=stored / PER_DAY)
    texts = [corpus.background(stored / PER_DAY) for _ in range(probes)]
    wall, cpu = [], []
    for i, text in enumerate(texts):
        with rolled_back(storage):
            article_id = insert(storage, text, OUTLETS[i % len(OUTLETS)], when)
            t0, c0 = time.perf_counter(), time.thread_time()
            index.assign(article_id, text, "en", when, OUTLETS[i % len(OUTLETS)])
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    return wall, cpu


def time_linear_scan(storage: Storage, corpus: Corpus, probes: int) -> list[float]:
    """Baseline: estimate Jaccard against every stored MinHash at once (numpy, already in memory)."""
    blobs = [row[0] for row in storage.db.execute("select minhash from story_articles where minhash is not null")]
    stored = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), -1)
    times = []
    for _ in range(probes):
        text = corpus.article()
        t0 = time.perf_counter()
        new = signature(text).minhash
        scores = (stored == new).mean(axis=1)
        int(np.argmax(scores))
        times.append((time.perf_counter() - t0) * 1000)
    return times


@dataclass
class Tally:
    """Pairs of one kind, and how many of them landed in one story."""

    same_story: bool
    pairs: int = 0
    grouped: int = 0

    def record(self, grouped: bool) -> None:
        self.pairs += 1
        self.grouped += grouped


def quality_lines(tallies: dict[str, Tally]) -> list[str]:
    lines = [f"  {kind:<40} grouped {t.grouped:4d} of {t.pairs:4d}" for kind, t in tallies.items()]
    tp = sum(t.grouped for t in tallies.values() if t.same_story)
    fp = sum(t.grouped for t in tallies.values() if not t.same_story)
    positives = sum(t.pairs for t in tallies.values() if t.same_story)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    lines.append(f"  precision {precision:.3f}  recall {tp / max(positives, 1):.3f}  ({tp} true, {fp} false groupings)")
    return lines


def labeled_pairs(corpus: Corpus, n: int) -> list[tuple[str, str, str, bool]]:
    """(kind, first text, second text, same story?) — built to be hard, not to flatter."""
    pairs = []
    for i in range(n):
        base = corpus.article()
        rate = [0.05, 0.15, 0.3][i % 3]
        pairs.append((f"edited copy, {int(rate * 100)}% words changed", base, corpus.edited(base, rate), True))
        quotes = [corpus.quote(14, 30) for _ in range(2)]
        pairs.append(("retelling, 2 shared quotes 14-30 words", corpus.article(quotes), corpus.article(quotes), True))
        short = [corpus.quote(8, 13)]
        pairs.append(("retelling, 1 shared quote 8-13 words", corpus.article(short), corpus.article(short), True))
        # Same subject, different reports: the same names and figures, scattered, plus the same stock phrase.
        topic = corpus.words(25).split()
        stock = corpus.stock[i % len(corpus.stock)]
        first, second = (corpus.article([stock, " ".join(corpus.rng.permutation(topic))]) for _ in range(2))
        pairs.append(("same subject, different report", first, second, False))
        pairs.append(("unrelated", corpus.article(), corpus.article(), False))
    return pairs


def grouping_quality(storage: Storage, index: StoryIndex, corpus: Corpus, pairs: int) -> dict[str, Tally]:
    when = START + timedelta(days=110)
    tallies: dict[str, Tally] = {}
    for i, (kind, first, second, same) in enumerate(labeled_pairs(corpus, pairs)):
        with rolled_back(storage):
            a = add(storage, index, first, "pair-a", when)
            b = add(storage, index, second, f"pair-b{i % 2}", when + timedelta(hours=6))
        tallies.setdefault(kind, Tally(same)).record(a == b)
    return tallies


def seed_grouping() -> list[str]:
    """The five sample articles: 000-002 retell one report; 003 and 004 are other stories."""
    files = sorted(SEEDS.glob("*.txt"))
    if len(files) != 5:
        return ["  (no seeds found)"]
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "seeds.db")
        index = StoryIndex(storage.db, StoriesConfig())
        dates = [datetime(2023, 2, d, tzinfo=timezone.utc) for d in (2, 3, 3, 4, 4)]  # one week: text decides
        stories = [add(storage, index, f.read_text(), f"seed{i}", d) for i, (f, d) in enumerate(zip(files, dates))]
        storage.close()
    labels = ["feb2023", "feb2023", "feb2023", "aug2022-troops", "aug2022-ambassador"]
    tallies: dict[str, Tally] = {}
    for i in range(5):
        for j in range(i + 1, 5):
            same = labels[i] == labels[j]
            tally = tallies.setdefault("same report" if same else "different reports", Tally(same))
            tally.record(stories[i] == stories[j])
    return quality_lines(tallies) + [f"  stories: {stories}"]


def labelled_set(part: str) -> list[dict]:
    """The articles of bench/data/stories/<part>_*.json ("tune" or "holdout"), each with its report's kind."""
    articles = []
    for path in sorted(LABELLED.glob(f"{part}_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        reports = {r["id"]: r for r in data["reports"]}
        for a in data["articles"]:
            report = reports[a["report"]]
            articles.append({
                **a, "id": f"{path.stem}/{a['id']}", "report": f"{path.stem}/{a['report']}",
                "family": f"{path.stem}/{report['family']}", "kind": report["kind"],
            })
    return sorted(articles, key=lambda a: (a["published"], a["id"]))


def labelled_grouping(articles: list[dict], config: StoriesConfig) -> dict[str, Tally]:
    """Pairs of the labelled set by kind, and how many of each the index put in one story."""
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "labelled.db")
        index = StoryIndex(storage.db, config)
        story = {}
        for a in articles:
            when = datetime.fromisoformat(a["published"])
            article_id = insert(storage, a["text"], a["outlet"], when, a["title"], a["language"], f"https://labelled.example/{a['id']}")
            story[a["id"]] = index.assign(article_id, a["text"], a["language"], when, a["outlet"], a["title"]).story_id
        storage.close()
    tallies: dict[str, Tally] = {}
    for first, second in itertools.combinations(articles, 2):
        tallies.setdefault(_pair_kind(first, second), Tally(first["report"] == second["report"])).record(
            story[first["id"]] == story[second["id"]]
        )
    return dict(sorted(tallies.items()))


def _pair_kind(first: dict, second: dict) -> str:
    if first["report"] == second["report"]:
        return "retelling, " + ("same language" if first["language"] == second["language"] else "across languages")
    if first["family"] != second["family"]:
        return "negative: other event on the topic"
    kinds = {first["kind"], second["kind"]} - {"report"}
    return "negative: " + ("report vs " + kinds.pop() if len(kinds) == 1 else " vs ".join(sorted(kinds)))


def labelled_lines() -> list[str]:
    if not list(LABELLED.glob("*.json")):
        return ["  (no labelled set found)"]
    lines = []
    for part in ("tune", "holdout"):
        articles = labelled_set(part)
        languages = sorted({a["language"] for a in articles})
        lines.append(f"  {part}: {len(articles)} articles in {', '.join(languages)}")
        for name, config in (("before evidence (near-duplicates, phrases)", BASELINE), ("evidence", StoriesConfig())):
            lines.append(f"   {name}:")
            lines += ["  " + line for line in quality_lines(labelled_grouping(articles, config))]
    return lines


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=300, help="labeled pairs of each kind")
    args = parser.parse_args()
    corpus = Corpus()
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "bench.db")
        index = StoryIndex(storage.db, StoriesConfig())
        print(
            f"story assignment time per new article (ms; {args.probes} probes; before evidence: near-duplicates"
            " and phrases only; baseline: linear MinHash scan)"
        )
        columns = ("stored", "median", "p95", "p95 cpu", "before evidence", "baseline median", "speed-up", "fill s")
        print("  " + "  ".join(f"{c:>{w}}" for c, w in zip(columns, (8, 7, 7, 7, 14, 15, 8, 7))))
        stored = 0
        for checkpoint in [c for c in CHECKPOINTS if c <= args.articles]:
            t0 = time.perf_counter()
            fill(storage, index, corpus, stored, checkpoint)
            fill_seconds = time.perf_counter() - t0
            stored = checkpoint
            ours, cpu = time_assign(storage, index, corpus, stored, args.probes)
            before, _ = time_assign(storage, StoryIndex(storage.db, BASELINE), corpus, stored, args.probes)
            base = time_linear_scan(storage, corpus, args.probes)
            ratio = statistics.median(base) / statistics.median(ours)
            print(
                f"  {stored:>8}  {statistics.median(ours):7.2f}  {_p95(ours):7.2f}  {_p95(cpu):7.2f}"
                f"  {statistics.median(before):14.2f}  {statistics.median(base):15.2f}  {ratio:7.2f}x"
                f"  {fill_seconds:7.1f}",
                flush=True,
            )
        size = sum(r[0] for r in storage.db.execute("select count(*) from story_keys"))
        print(f"  index rows: {size} keys for {stored} articles ({size / max(stored, 1):.0f} per article)")
        print(f"grouping quality on labeled pairs, against {stored} stored articles")
        print("\n".join(quality_lines(grouping_quality(storage, index, corpus, args.pairs))))
        storage.close()
    print("grouping of the labelled set (bench/data/stories; holdout_* never tuned on)")
    print("\n".join(labelled_lines()))
    print("grouping of the sample coverage")
    print("\n".join(seed_grouping()))


if __name__ == "__main__":
    main()
