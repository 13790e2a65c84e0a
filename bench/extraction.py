"""Extraction quality and speed on the shared benchmark pages, against bare trafilatura in the same process.

Rows: bare trafilatura.extract (the baseline), extract_text (our clean text, what the scorer scores) and
Extractor.extract (the crawler's call: metadata and skip rules too; a skipped page scores as empty text).
Quality comes from the benchmark's own scorer, imported from its folder at run time. Speed is timed
here, page by page with the extractors taking turns, so that load from other processes hits all alike;
each page counts its fastest of --repeat calls.

    python -m bench.extraction                      # from the repository root; reads ../shared/extraction-benchmark
    python -m bench.extraction --data DIR --repeat 5
"""

from __future__ import annotations

import argparse
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
BASELINE = "trafilatura.extract (bare)"


def load_scorer(folder: Path) -> ModuleType:
    """The benchmark's evaluate.py, imported by path (its folder also holds a module named `extractors`)."""
    spec = importlib.util.spec_from_file_location("extraction_benchmark_evaluate", folder / "evaluate.py")
    scorer = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = scorer  # its dataclasses look their module up while being defined
    spec.loader.exec_module(scorer)
    return scorer


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the extraction-benchmark folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per page and extractor, the fastest counts")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args(argv)
    folder = args.data.resolve()
    if not (folder / "evaluate.py").is_file():
        print(f"extraction benchmark not found at {folder} (pass --data DIR); nothing measured", file=sys.stderr)
        return 0
    warnings.filterwarnings("ignore")
    scorer = load_scorer(folder)
    pages = scorer.load_scrapinghub(folder / "data")[: args.limit or None]

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
    print(f"extracting {len(pages)} pages, {args.repeat} timed calls each ...", file=sys.stderr, flush=True)
    outputs, seconds = run_interleaved(pages, extractors, args.repeat)
    speed = {name: len(pages) / sum(seconds[name]) for name in extractors}

    print(f"\n{'extractor':28} {'F1':>6} {'prec':>6} {'recall':>6} {'leak':>6} {'pages/s':>8} {'ratio':>6}")
    for name in extractors:
        s = scorer.summarise(scorer.run_one(name, None, pages, 4, precomputed=outputs[name]), 0)
        leak = s["leak"]["pages_core_leak"] / s["pages"]
        print(
            f"{name:28} {s['f1']:6.3f} {s['precision']:6.3f} {s['recall']:6.3f} {leak:6.1%}"
            f" {speed[name]:8.1f} {speed[name] / speed[BASELINE]:6.2f}"
        )
    print(f"\nExtractor.extract skipped {len(skips)} of {len(pages)} pages: {dict(Counter(skips.values()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
