"""Precision and recall of the default rules on the labelled articles, and the seed-article check.

Reports, per category and overall, the default rules next to a baseline measured in the same
process: the same rules with proximity and min_score removed (every group found anywhere in the
article is enough). tests/data/rules_labeled.toml is the set the rules were tuned on;
rules_labeled_holdout.toml was written afterwards and decided one setting (25-word window rather
than one sentence); rules_labeled_fresh.toml was written once the rules were final and is the
honest estimate. Then every article in ../shared/seeds must match with its categories, and the
related-news teasers at the end of the first one must not match on their own.

    python bench/rules_quality.py
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from newswatch.rules.engine import Matcher
from newswatch.rules.language import BUILTIN_CATEGORIES, load_default_rules

ROOT = Path(__file__).resolve().parents[1]
LABELED = {
    "tuning set": ROOT / "tests" / "data" / "rules_labeled.toml",
    "held-out set": ROOT / "tests" / "data" / "rules_labeled_holdout.toml",
    "fresh set": ROOT / "tests" / "data" / "rules_labeled_fresh.toml",
}
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_CATEGORIES = {  # by file name prefix; the first is about workers only, the rest also about soldiers
    "000": {"labor"},
    "001": {"labor", "troops"},
    "002": {"labor", "troops"},
    "003": {"labor", "troops"},
    "004": {"labor", "troops"},
}
RELATED_NEWS = "More Related News"


def categories(matcher: Matcher, title: str, text: str) -> set[str]:
    return {m.category for m in matcher.match(title, text)}


def scores(matcher: Matcher, articles: list[dict]) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) per category and for "all"."""
    counts = {c: [0, 0, 0] for c in (*BUILTIN_CATEGORIES, "all")}
    for article in articles:
        got, want = categories(matcher, article["title"], article["text"]), set(article["categories"])
        for category in BUILTIN_CATEGORIES:
            for key in (category, "all"):
                counts[key][0] += category in got and category in want
                counts[key][1] += category in got and category not in want
                counts[key][2] += category in want and category not in got
    return {c: (tp, fp, fn) for c, (tp, fp, fn) in counts.items()}


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  - "


def report_labeled(name: str, path: Path, rules: Matcher, baseline: Matcher) -> None:
    articles = tomllib.loads(path.read_text(encoding="utf-8"))["article"]
    languages = sorted({a["language"] for a in articles})
    negatives = sum(not a["categories"] for a in articles)
    print(f"\n{name}: {len(articles)} articles ({negatives} without a category), languages {' '.join(languages)}")
    print(f"{'category':<10} {'rules P':>8} {'rules R':>8}   {'baseline P':>10} {'baseline R':>10}")
    ours, theirs = scores(rules, articles), scores(baseline, articles)
    for category in (*BUILTIN_CATEGORIES, "all"):
        (tp, fp, fn), (btp, bfp, bfn) = ours[category], theirs[category]
        print(
            f"{category:<10} {ratio(tp, tp + fp):>8} {ratio(tp, tp + fn):>8}   "
            f"{ratio(btp, btp + bfp):>10} {ratio(btp, btp + bfn):>10}"
        )
    for article in articles:
        got = categories(rules, article["title"], article["text"])
        if got != set(article["categories"]):
            print(f"  wrong: {article['id']}: expected {sorted(article['categories'])}, got {sorted(got)}")


def related_news(text: str) -> list[tuple[str, str]]:
    """The teasers after "More Related News": blocks separated by blank lines, first line the title."""
    _, _, tail = text.partition(RELATED_NEWS)
    teasers = []
    for block in tail.split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if len(lines) > 1:
            teasers.append((lines[0], "\n".join(lines[1:])))
    return teasers


def report_seeds(rules: Matcher) -> None:
    if not SEEDS.is_dir():
        print(f"\nseeds: {SEEDS} not found, skipped")
        return
    print("\nseed articles:")
    failures = 0
    for path in sorted(SEEDS.glob("*.txt")):
        title, _, text = path.read_text(encoding="utf-8").strip().partition("\n")
        got, want = categories(rules, title, text), SEED_CATEGORIES.get(path.name[:3], set())
        failures += got != want
        print(f"  {'ok  ' if got == want else 'FAIL'} {path.name}: {', '.join(sorted(got)) or 'no match'}")
        for teaser_title, teaser_text in related_news(text):
            flagged = categories(rules, teaser_title, teaser_text)
            failures += bool(flagged)
            print(
                f"       {'FAIL' if flagged else 'ok  '} related: {teaser_title[:60]}: {', '.join(sorted(flagged)) or 'no match'}"
            )
    print(f"  {'all as expected' if not failures else f'{failures} unexpected'}")


def main() -> None:
    default = load_default_rules()
    rules = Matcher(default)
    baseline = Matcher([dataclasses.replace(r, near=None, min_score=0) for r in default])
    print(f"{len(default)} default rules; baseline: the same rules without proximity and min_score")
    for name, path in LABELED.items():
        report_labeled(name, path, rules, baseline)
    report_seeds(rules)


if __name__ == "__main__":
    main()
