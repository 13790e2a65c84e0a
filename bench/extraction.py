"""Extraction quality and speed on both shared benchmark corpora, against bare trafilatura in the same process.

Rows: bare trafilatura.extract (the baseline), extract_text (our clean text, what the scorer scores) and
Extractor.extract (the crawler's call: metadata and skip rules too; a skipped page scores as empty text).
Quality comes from the benchmark's own scorer, imported from its folder at run time; "leak" is its share of
pages with a boilerplate line in the output. Speed is timed here, page by page with the extractors taking
turns, so that load from other processes hits all alike; each page counts its fastest of --repeat calls.

Every corpus is printed whole and split in two: "tune" pages, which the extractor's rules were tuned on,
and "held-out" pages (sha256 of the page id starting with 0-3, about a quarter), which were never looked at
while tuning. The held-out figure is the one that predicts unseen pages.

    python -m bench.extraction                      # from the repository root; reads ../shared/extraction-benchmark
    python -m bench.extraction --corpus readability --repeat 5
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from types import ModuleType

import trafilatura

from extractors.article import Extractor, extract_text
from newswatch.models import Document

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "extraction-benchmark"
CORPORA = ("scrapinghub", "readability")
BASELINE = "trafilatura.extract (bare)"
HELD_OUT_DIGITS = "0123"  # first hex digit of sha256(page id): a fixed quarter of each corpus


def load_scorer(folder: Path) -> ModuleType:
    """The benchmark's evaluate.py, imported by path (its folder also holds a module named `extractors`)."""
    spec = importlib.util.spec_from_file_location("extraction_benchmark_evaluate", folder / "evaluate.py")
    scorer = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = scorer  # its dataclasses look their module up while being defined
    spec.loader.exec_module(scorer)
    return scorer


def held_out(page_id: str) -> bool:
    return hashlib.sha256(page_id.encode()).hexdigest()[0] in HELD_OUT_DIGITS


def run_interleaved(pages: list, extractors: dict, repeat: int) -> tuple[dict, dict]:
    """Outputs by extractor and page id, and each extractor's fastest seconds per page."""
    for fn in extractors.values():  # first calls pay for imports and model loading
        fn(pages[0].html, pages[0].url)
    outputs = {name: {} for name in extractors}
    seconds = {name: [] for name in extractors}
    for page in pages:
        for name, fn in extractors.items():
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                outputs[name][page.id] = fn(page.html, page.url)
                best = min(best, time.perf_counter() - start)
            seconds[name].append(best)
    return outputs, seconds


def report(scorer: ModuleType, corpus: str, pages: list, outputs: dict, seconds: dict) -> None:
    speed = {name: len(pages) / sum(times) for name, times in seconds.items()}
    parts = {
        "all": pages,
        "tune": [p for p in pages if not held_out(p.id)],
        "held-out": [p for p in pages if held_out(p.id)],
    }
    print(f"\n{corpus}: {len(pages)} pages")
    print(f"{'extractor':28} {'part':9} {'pages':>5} {'F1':>6} {'prec':>6} {'recall':>6} {'leak':>6} {'ratio':>6}")
    for name in outputs:
        for part, chosen in parts.items():
            if not chosen:
                continue
            s = scorer.summarise(scorer.run_one(name, None, chosen, 4, precomputed=outputs[name]), 0)
            leak = s["leak"]["pages_core_leak"] / s["pages"]
            ratio = f"{speed[name] / speed[BASELINE]:6.2f}" if part == "all" else ""
            print(
                f"{name:28} {part:9} {s['pages']:5} {s['f1']:6.3f} {s['precision']:6.3f} {s['recall']:6.3f}"
                f" {leak:6.1%} {ratio:>6}"
            )
    print(f"speed: bare trafilatura {speed[BASELINE]:.1f} pages/s; ratio = pages/s against it, same run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the extraction-benchmark folder")
    parser.add_argument("--corpus", choices=CORPORA, action="append", help="only this corpus (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per page and extractor, the fastest counts")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each corpus")
    args = parser.parse_args(argv)
    folder = args.data.resolve()
    if not (folder / "evaluate.py").is_file():
        print(f"extraction benchmark not found at {folder} (pass --data DIR); nothing measured", file=sys.stderr)
        return 0
    warnings.filterwarnings("ignore")
    scorer = load_scorer(folder)
    extractor = Extractor()
    skips: dict[str, str] = {}

    def extractor_text(html: str, url: str) -> str:
        result = extractor.extract(html, url)
        if isinstance(result, Document):
            return result.text
        skips[url] = result.reason
        return ""

    extractors = {
        BASELINE: lambda html, url: trafilatura.extract(html, url=url) or "",
        "extract_text": extract_text,
        "Extractor.extract": extractor_text,
    }
    for corpus in args.corpus or CORPORA:
        pages = getattr(scorer, f"load_{corpus}")(folder / "data")[: args.limit or None]
        skips.clear()
        print(f"{corpus}: extracting {len(pages)} pages, {args.repeat} timed calls each ...", file=sys.stderr, flush=True)
        outputs, seconds = run_interleaved(pages, extractors, args.repeat)
        report(scorer, corpus, pages, outputs, seconds)
        print(f"Extractor.extract skipped {len(skips)} pages: {dict(Counter(skips.values()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
