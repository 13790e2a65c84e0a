"""The compiled matcher: every term of every rule in one Aho-Corasick automaton, run once per field.

pyahocorasick finds all term occurrences in one pass over the folded text, whatever the number of
rules; Python then checks word boundaries (with Korean particles), wildcards inside phrases,
exclusions, proximity and scores, but only for the rules whose terms were found.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import ahocorasick

from newswatch.models import Match, TermHit
from newswatch.rules.language import Group, Proximity, Rule, Term
from newswatch.rules.textfold import FoldedText, fold, fold_term, is_hangul, is_unspaced, is_word_char

SNIPPET_CHARS = 200

# Korean particles and copula endings that follow a noun inside the same word (북한이, 러시아에서는,
# 노동자들을): a Hangul term matches when the rest of the word is made of these. Verb endings are not
# here; a term that should match them ends in `*` (파병* for 파병한, 파병했다).
_PARTICLES = (
    "이 가 께서 을 를 의 에 에서 에게 에게서 한테 께 로 으로 로서 으로서 로써 으로써 와 과 랑 이랑 하고 "
    "도 은 는 만 까지 부터 마저 조차 보다 처럼 만큼 이나 나 이든 든 이라도 라도 이야 야 "
    "이다 다 이며 며 이고 인 이라 라 이라는 라는 이란 란 이라고 라고 였다 이었다 였던 이었던 측"
).split()
_PARTICLE_RUN = re.compile("들?(?:" + "|".join(sorted(_PARTICLES, key=len, reverse=True)) + "){0,2}")
_WORD = re.compile(r"\w+")
_WORD_REST = re.compile(r"\w*")
_SENTENCE_END = re.compile(r"[.!?]+['\")\]»”’]*\s+(?=\S)|[。！？]+|\n")

NOTHING_FOUND = "none of its terms found"
EXCLUDE, IGNORE = -1, -2  # pseudo group indexes for a rule's exclude and ignore terms


@dataclass(frozen=True)
class _Pattern:
    """One distinct folded term: the automaton finds `key` (at a word start, if the key starts with a letter)."""

    key: str
    tail: re.Pattern[str] | None  # the whole term, when a `*` is followed by more words
    right: str  # "word": a non-letter follows; "hangul": particles may follow; "prefix": any letters; "none"


class _Hit(NamedTuple):
    field: str
    start: int  # folded offsets
    end: int


@dataclass(frozen=True)
class Verdict:
    """Whether one rule fired on an article and why (or why not), for `newswatch rules test`."""

    rule: Rule
    match: Match | None
    reason: str


@dataclass
class _Field:
    """One field of one article, folded, with lazily computed word and sentence positions."""

    name: str
    folded: FoldedText
    _sentences: list[int] | None = None

    def word_index(self, pos: int) -> int:
        return self.folded.text.count(" ", 0, pos)  # folding leaves one space between words

    def sentence_index(self, pos: int) -> int:
        if self._sentences is None:
            self._sentences = _sentence_starts(self.folded.original)
        return bisect.bisect_right(self._sentences, self.folded.original_span(pos, pos + 1)[0])

    @property
    def word_count(self) -> int:
        return self.word_index(len(self.folded.text)) + 1

    @property
    def sentence_count(self) -> int:
        return self.sentence_index(len(self.folded.text)) + 1


@dataclass
class _Article:
    fields: dict[str, _Field]
    hits: defaultdict[int, list[_Hit]] = field(default_factory=lambda: defaultdict(list))  # pattern id → places

    def position(self, hit: _Hit, by_words: bool) -> int:
        """Where a hit lies in title-then-text order, counted in words or in sentences."""
        f = self.fields[hit.field]
        pos = f.word_index(hit.start) if by_words else f.sentence_index(hit.start)
        if hit.field == "text":
            title = self.fields["title"]
            pos += title.word_count if by_words else title.sentence_count
        return pos

    def original(self, hit: _Hit) -> tuple[int, int, str]:
        """A hit's start and end in the original field, and the text found there."""
        folded = self.fields[hit.field].folded
        start, end = folded.original_span(hit.start, hit.end)
        return start, end, folded.original[start:end]


class Matcher:
    """All rules compiled once; `match` costs one automaton pass per field plus the rules that were hit."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = tuple(rules)
        self._patterns: list[_Pattern] = []
        self._by_term: dict[tuple, int] = {}
        # per rule: for each group (and EXCLUDE, IGNORE), the ids of its patterns
        self._slots: list[dict[int, tuple[int, ...]]] = []
        self._slots_of: dict[int, set[tuple[int, int]]] = {}  # pattern id → (rule, slot) using it
        for r, rule in enumerate(self.rules):
            slots = {g: self._add_terms(group.terms, r, g) for g, group in enumerate(rule.groups)}
            slots[EXCLUDE] = self._add_terms(rule.exclude, r, EXCLUDE)
            slots[IGNORE] = self._add_terms(rule.ignore, r, IGNORE)
            self._slots.append(slots)
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[int]] = {}
        for pid, pattern in enumerate(self._patterns):
            keys.setdefault(pattern.key, []).append(pid)
        for key, pids in keys.items():
            self._automaton.add_word(key, (len(key), is_word_char(key[0]), tuple(pids)))
        if keys:
            self._automaton.make_automaton()

    def match(self, title: str, text: str) -> list[Match]:
        """The rules that fire on this article, in rule order."""
        article = self._scan(title, text)
        groups_found: dict[int, set[int]] = {}
        for pid in article.hits:
            for r, slot in self._slots_of[pid]:
                if slot >= 0:
                    groups_found.setdefault(r, set()).add(slot)
        # Most rules whose terms appear lack a whole group; only those with every group go further.
        candidates = sorted(r for r, found in groups_found.items() if len(found) == len(self.rules[r].groups))
        verdicts = (self._evaluate(r, article) for r in candidates)
        return [v.match for v in verdicts if v.match is not None]

    def explain(self, title: str, text: str) -> list[Verdict]:
        """Every rule's verdict on this article, in rule order."""
        article = self._scan(title, text)
        touched = {r for pid in article.hits for r, _ in self._slots_of[pid]}
        return [
            self._evaluate(r, article) if r in touched else Verdict(rule, None, NOTHING_FOUND)
            for r, rule in enumerate(self.rules)
        ]

    # -- compiling -------------------------------------------------------------

    def _add_terms(self, terms: Iterable[Term], rule: int, slot: int) -> tuple[int, ...]:
        pids = []
        for term in terms:
            words = tuple(fold_term(w) for w in term.words)
            identity = (words, term.prefix)
            if identity not in self._by_term:
                self._by_term[identity] = len(self._patterns)
                self._patterns.append(_compile_term(words, term.prefix))
            pid = self._by_term[identity]
            pids.append(pid)
            self._slots_of.setdefault(pid, set()).add((rule, slot))
        return tuple(pids)

    # -- matching --------------------------------------------------------------

    def _scan(self, title: str, text: str) -> _Article:
        article = _Article({"title": _Field("title", fold(title)), "text": _Field("text", fold(text))})
        if not self._patterns:
            return article
        patterns, hits = self._patterns, article.hits
        for f in article.fields.values():
            folded = f.folded.text
            for last, (length, word_start, pids) in self._automaton.iter(folded):
                start = last + 1 - length
                if word_start and start and is_word_char(folded[start - 1]):
                    continue  # inside a longer word
                for pid in pids:
                    end = _term_end(patterns[pid], folded, start, last + 1)
                    if end is not None:
                        hits[pid].append(_Hit(f.name, start, end))
        return article

    def _evaluate(self, r: int, article: _Article) -> Verdict:
        rule, slots = self.rules[r], self._slots[r]

        def found(slot: int) -> list[_Hit]:
            return [h for pid in slots[slot] for h in article.hits.get(pid, ()) if h.field in rule.fields]

        excluded = found(EXCLUDE)
        if excluded:
            return Verdict(rule, None, f"excluded: found {article.original(excluded[0])[2]!r}")
        ignored = found(IGNORE)
        groups = [_drop_overlaps([h for h in found(g) if not _inside(h, ignored)]) for g in range(len(rule.groups))]
        for group, hits in zip(rule.groups, groups):
            if not hits:
                return Verdict(rule, None, f"no term of group {group.name!r}")
        counted = groups
        if rule.near is not None:
            counted = _close_hits(rule.near, rule.groups, groups, article)
            if not any(counted[i] for i, g in enumerate(rule.groups) if g.name in rule.near.groups):
                distance = f"within {rule.near.words} words" if rule.near.words else "in one sentence"
                return Verdict(rule, None, f"groups {', '.join(rule.near.groups)} never come {distance}")
        score = sum(rule.title_weight if h.field == "title" else 1.0 for hits in counted for h in hits)
        if score < rule.min_score:
            return Verdict(rule, None, f"score {score:g} is below min_score {rule.min_score:g}")
        return Verdict(rule, self._match(rule, counted, article, score), f"fired with score {score:g}")

    def _match(self, rule: Rule, counted: list[list[_Hit]], article: _Article, score: float) -> Match:
        term_hits, terms, seen = [], [], set()
        ordered = sorted(
            ((h, rule.groups[g].name) for g, hits in enumerate(counted) for h in hits),
            key=lambda pair: (pair[0].field != "title", pair[0].start, pair[1]),
        )
        for hit, group in ordered:
            start, end, surface = article.original(hit)
            term_hits.append(TermHit(surface, hit.field, start, end, group))
            folded = article.fields[hit.field].folded.text[hit.start : hit.end]
            if folded not in seen:
                seen.add(folded)
                terms.append(surface)
        return Match(
            rule=rule.name,
            category=rule.category,
            score=score,
            terms=tuple(terms),
            snippet=_snippet(term_hits, article),
            hits=tuple(term_hits),
        )


def _compile_term(words: tuple[str, ...], prefix: tuple[bool, ...]) -> _Pattern:
    inner_wildcard = any(prefix[:-1])
    if inner_wildcard:
        first = prefix.index(True)
        key = " ".join(words[: first + 1])
        tail = re.compile(" ".join(re.escape(w) + (r"\w*" if p else "") for w, p in zip(words, prefix)))
    else:
        key, tail = " ".join(words), None
    last = words[-1][-1]
    if not last.isalnum() or is_unspaced(last):
        right = "none"
    elif prefix[-1]:
        right = "prefix"
    elif is_hangul(last):
        right = "hangul"
    else:
        right = "word"
    return _Pattern(key, tail, right)


def _term_end(pattern: _Pattern, text: str, start: int, end: int) -> int | None:
    """The end of the term whose key was found at [start, end), or None where the term is not there."""
    if pattern.tail is not None:
        m = pattern.tail.match(text, start)
        if m is None:
            return None
        end = m.end()
    if pattern.right == "prefix":
        return _WORD_REST.match(text, end).end()
    if pattern.right == "none" or end == len(text) or not is_word_char(text[end]):
        return end
    if pattern.right == "hangul":
        rest = _WORD.match(text, end).group()
        if all(is_hangul(ch) for ch in rest) and _PARTICLE_RUN.fullmatch(rest):
            return end
    return None


def _inside(hit: _Hit, spans: list[_Hit]) -> bool:
    return any(s.field == hit.field and s.start <= hit.start and hit.end <= s.end for s in spans)


def _drop_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """One hit per place: where terms of a group overlap ("Korea" in "North Korea"), the longest wins."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.field, h.start, -h.end)):
        if kept and kept[-1].field == hit.field and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def _close_hits(
    proximity: Proximity, rule_groups: tuple[Group, ...], groups: list[list[_Hit]], article: _Article
) -> list[list[_Hit]]:
    """Hits of the near groups that have a hit of every other near group close by; others as found."""
    by_words = proximity.words is not None
    reach = proximity.words or 0
    near = [i for i, g in enumerate(rule_groups) if g.name in proximity.groups]
    positions = {i: sorted(article.position(h, by_words) for h in groups[i]) for i in near}
    counted = []
    for i, hits in enumerate(groups):
        if i not in near:
            counted.append(hits)
            continue
        kept = []
        for hit in hits:
            pos = article.position(hit, by_words)
            if all(_has_within(positions[j], pos, reach) for j in near if j != i):
                kept.append(hit)
        counted.append(kept)
    return counted


def _has_within(sorted_positions: list[int], pos: int, reach: int) -> bool:
    i = bisect.bisect_left(sorted_positions, pos - reach)
    return i < len(sorted_positions) and sorted_positions[i] <= pos + reach


def _sentence_starts(text: str) -> list[int]:
    """Where sentences start: after . ! ? and a space when a capital (not "Jan. 20" or "e.g. the") follows."""
    starts = []
    for m in _SENTENCE_END.finditer(text):
        following = text[m.end() : m.end() + 1]
        if not (following.islower() or following.isdigit()):
            starts.append(m.end())
    return starts


def _snippet(hits: list[TermHit], article: _Article) -> str:
    """About SNIPPET_CHARS of text around the hit with terms of the most groups close by."""
    in_text = [h for h in hits if h.field == "text"]
    candidates = in_text or hits
    field = candidates[0].field
    original = article.fields[field].folded.original
    half = SNIPPET_CHARS // 2

    def groups_near(h: TermHit) -> int:
        return len({o.group for o in candidates if abs(o.start - h.start) <= half})

    best = max(candidates[:200], key=groups_near)  # max keeps the earliest of equals
    return _snippet_around(original, best.start, best.end)


def _snippet_around(text: str, start: int, end: int, width: int = SNIPPET_CHARS) -> str:
    """`width` characters of `text` centred on [start, end), cut at spaces, whitespace collapsed."""
    pad = max(0, width - (end - start)) // 2
    a, b = max(0, start - pad), min(len(text), end + pad)
    if a > 0:
        space = text.find(" ", a, start)
        a = space + 1 if space != -1 else a
    if b < len(text):
        space = text.rfind(" ", end, b)
        b = space if space != -1 else b
    body = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + body + ("…" if b < len(text) else "")
