"""Matching time per 5,000-word article for 10, 100 and 1,000 synthetic rules, and the ratio to 10 rules.

Times are CPU time of this process (median of --runs calls), so that other work on a shared
machine does not count.

The article is built from the seed articles in ../shared/seeds (or from generated words when they
are absent). Rule terms are generated words, except that one term in twenty is one of 100 topic
words taken from the article, so that every rule set finds terms all over the article and some
rules have every group found and are evaluated in full. Target: 1,000 rules under 5 ms per article,
growing far slower than the number of rules.

    python bench/rules_speed.py [--words 5000] [--runs 30]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import Counter
from pathlib import Path

from newswatch.rules.engine import Matcher
from newswatch.rules.language import Group, Proximity, Rule, parse_term
from newswatch.rules.textfold import fold

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
RULE_COUNTS = (10, 100, 1000)


def article_words(count: int, rng: random.Random) -> list[str]:
    """`count` words of real news text, repeated as needed, or generated words without the seeds."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] if SEEDS.is_dir() else []
    words = " ".join(texts).split() or [made_up_word(rng) for _ in range(3000)]
    return (words * (count // len(words) + 1))[:count]


def made_up_word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnoprstuvz") for _ in range(rng.randint(5, 10)))


def synthetic_rules(n: int, topics: list[str], rng: random.Random) -> list[Rule]:
    """Rules of three groups of four terms, some phrases, some with `*`; one term in 20 is a topic word."""
    rules = []
    for i in range(n):
        groups = []
        for g in range(3):
            terms = []
            for _ in range(4):
                word = rng.choice(topics) if rng.random() < 0.05 else made_up_word(rng)
                if rng.random() < 0.1:
                    word = f"{word} {made_up_word(rng)}"
                if rng.random() < 0.3 and len(word) > 4:
                    word = word[: max(3, len(word) - 2)] + "*"
                terms.append(parse_term(word))
            groups.append(Group(f"g{g}", tuple(terms)))
        near = Proximity(("g0", "g1", "g2"), 20 if i % 2 else None)
        rules.append(Rule(name=f"r{i}", category="labor", groups=tuple(groups), near=near))
    return rules


def time_per_article(matcher: Matcher, title: str, text: str, runs: int) -> float:
    """Median CPU seconds per `match` call, after one call to warm up."""
    matcher.match(title, text)
    times = []
    for _ in range(runs):
        start = time.process_time()
        matcher.match(title, text)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(7)
    words = article_words(args.words, rng)
    title, text = " ".join(words[:12]), " ".join(words[12:])
    counts = Counter(re.sub(r"\W", "", w).lower() for w in words)
    common = {w for w, _ in counts.most_common(100)}
    topics = rng.sample(sorted(w for w in counts if w and w not in common and len(w) > 3), 100)
    print(f"article: {len(words)} words, {len(text)} characters ({'seed articles' if SEEDS.is_dir() else 'generated'})")
    print(f"{'rules':>6} {'compile ms':>11} {'match ms':>9} {'vs 10 rules':>12}")
    fold(text)  # builds the folding table once, so that compile times compare rules alone
    baseline = None
    for n in RULE_COUNTS:
        rules = synthetic_rules(n, topics, rng)
        start = time.process_time()
        matcher = Matcher(rules)
        compile_ms = (time.process_time() - start) * 1000
        seconds = time_per_article(matcher, title, text, args.runs)
        baseline = baseline or seconds
        print(f"{n:>6} {compile_ms:>11.1f} {seconds * 1000:>9.2f} {seconds / baseline:>11.2f}x")
    print("target: 1,000 rules under 5 ms per article; cost growing far slower than the rule count (100x)")


if __name__ == "__main__":
    main()
