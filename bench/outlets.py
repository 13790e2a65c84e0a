"""Extraction on the fixture outlets, in process: body sentences kept and teaser or chrome lines leaked, per outlet.

The three tuning outlets (tests/outlets.py) and the two held-out ones (bench/outlets_holdout.py) are reported
apart; for the held-out set only counts are printed unless --show-holdout, so nobody tunes on its lines.
Every page goes through `Extractor().extract(html, url)` as the crawler calls it; no crawl, no template memory.

    .venv/bin/python bench/outlets.py [--show-holdout]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import outlets_holdout as holdout  # noqa: E402
from extractors.article import Extractor  # noqa: E402
from newswatch.models import Document  # noqa: E402
from tests import outlets as tuning  # noqa: E402


@dataclass
class Figures:
    pages: int = 0
    skipped: Counter = field(default_factory=Counter)  # skip reason -> pages
    sentences: int = 0
    kept: int = 0
    leaky_pages: int = 0
    template_kept: int = 0  # pages whose outlet-specific line survived (template memory's job, not this run's)
    leaks: Counter = field(default_factory=Counter)  # leaked line -> pages
    missing: Counter = field(default_factory=Counter)  # lost body sentence -> pages

    def add(self, other: "Figures") -> None:
        for name in ("pages", "sentences", "kept", "leaky_pages", "template_kept"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("skipped", "leaks", "missing"):
            getattr(self, name).update(getattr(other, name))


def measure(outlet: tuning.Outlet, extractor: Extractor) -> Figures:
    base = f"https://www.{outlet.host}"
    site = tuning.site_pages(outlet, base=base)
    figures = Figures()
    for path in tuning.outlet_paths(outlet):
        page = site[path]
        result = extractor.extract(page, base + path)
        text = result.text if isinstance(result, Document) else ""
        if not isinstance(result, Document):
            figures.skipped[result.reason] += 1
        missing = tuning.missing_sentences(page, text)
        leaks = tuning.leaks(page, text)
        figures.pages += 1
        figures.sentences += len(tuning.body_sentences(page))
        figures.kept += len(tuning.body_sentences(page)) - len(missing)
        figures.leaky_pages += bool(leaks)
        figures.template_kept += outlet.template_line in tuning.squash(text)
        figures.leaks.update(leaks)
        figures.missing.update(missing)
    return figures


def report(title: str, rows: list[tuple[str, Figures]], show_lines: bool) -> None:
    total = Figures()
    print(f"\n{title}")
    print(f"  {'outlet':<18} {'pages':>5} {'skipped':>7} {'body kept':>17} {'leaky pages':>11} {'leaked lines':>12} {'template line kept':>18}")
    for name, f in [*rows, ("all", total)]:
        if name != "all":
            total.add(f)
        share = f.kept / f.sentences if f.sentences else 0.0
        print(
            f"  {name:<18} {f.pages:>5} {sum(f.skipped.values()):>7} {f.kept:>5}/{f.sentences:<5} {share:6.1%}"
            f" {f.leaky_pages:>11} {sum(f.leaks.values()):>12} {f.template_kept:>18}"
        )
    if not show_lines:
        return
    for name, f in rows:
        if f.skipped:
            print(f"  {name}: skipped {dict(f.skipped)}")
        for line, pages in f.leaks.most_common():
            print(f"  {name}: leaked on {pages} page(s): {line}")
        for line, pages in f.missing.most_common():
            print(f"  {name}: lost on {pages} page(s): {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-holdout", action="store_true", help="also list the held-out outlets' leaked and lost lines")
    args = parser.parse_args()
    problems = [p for o in (*map(tuning.outlet, tuning.OUTLETS), *map(holdout.outlet, holdout.OUTLETS)) for p in tuning.check(o)]
    if problems:
        # a fixture that breaks its own promises would make the figures meaningless
        sys.exit("fixture problems:\n  " + "\n  ".join(problems))
    extractor = Extractor()
    report("tuning outlets (tests/outlets.py)", [(n, measure(tuning.outlet(n), extractor)) for n in tuning.OUTLETS], True)
    report(
        "held-out outlets (bench/outlets_holdout.py)",
        [(n, measure(holdout.outlet(n), extractor)) for n in holdout.OUTLETS],
        args.show_holdout,
    )


if __name__ == "__main__":
    main()
