"""Whether two articles retell one report: their evidence (evidence.py) combined into one score, with reasons.

A shared quote of eight words or more is enough on its own; otherwise it takes several weaker signals
together (figures with their units, dates, the cited source, specific names, a similar headline, closeness
in time), at least one of them a quote, a figure or a date: another report on the same topic shares the
names, the source and the background, not the figures and quotes. A denial is never the report it denies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from newswatch.stories.evidence import Evidence, quote_shingles

QUOTE = 1.0  # a shared quote: a retelling by itself (over retelling_score, 0.8 by default)
NUMBER = 0.45  # a figure with the same unit on both sides ("1,500 troops" = "특수부대 1500명")
NUMBER_LOOSE = 0.3  # a figure whose unit one side does not name
ROUND_NUMBER = 0.8  # factor for a figure with one significant digit (100, 1,000, 10,000): often background
NUMBERS_CAP = 1.0
DATE = 0.25
DATES_CAP = 0.4
SOURCE = 0.3  # one shared cited source or more: outlets retelling a report name where it came from
ENTITY = 0.25  # a shared person, place or organisation that is not named in every article on the topic
ENTITIES_CAP = 0.8
TITLE = 0.6  # times the Jaccard similarity of the headline words, same language only
HEADCOUNTS = {"people", "troops", "workers", "killed", "wounded", "casualties"}  # what "1,500 people" can be
TIME_DECAY = 0.3  # the score loses this share linearly from 0 to `window` apart
PROXIMITY = 0.5  # outlets retell a report within hours: the score gains this share up to a day apart, none from three days


@dataclass(frozen=True)
class Comparison:
    """The evidence that two articles retell one report, and its combined score."""

    score: float
    quotes: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # "1500 troops"
    dates: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    common: tuple[str, ...] = ()
    title_similarity: float = 0.0
    hours_apart: float = 0.0
    denial_mismatch: bool = False

    @property
    def anchored(self) -> bool:
        """Whether the articles share a quote, a figure or a date: names and a source alone are what any two
        reports on the topic share, so they never join a story by themselves."""
        return bool(self.quotes or self.numbers or self.dates)

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 3)
        data["title_similarity"] = round(self.title_similarity, 3)
        data["hours_apart"] = round(self.hours_apart, 1)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def compare(new: Evidence, old: Evidence, seconds_apart: float, window: float) -> Comparison:
    """How strongly `new` retells the report `old` retells, `seconds_apart` apart (within `window`)."""
    quotes = _shared_quotes(new, old)
    numbers, number_score = _shared_numbers(new, old)
    dates = tuple(sorted(new.dates & old.dates))
    sources = tuple(sorted(new.sources & old.sources))
    entities = tuple(sorted(new.entities & old.entities))
    title = _jaccard(new.title, old.title) if new.language == old.language else 0.0
    score = (
        (QUOTE if quotes else 0.0)
        + number_score
        + min(DATES_CAP, DATE * len(dates))
        + (SOURCE if sources else 0.0)
        + min(ENTITIES_CAP, ENTITY * len(entities))
        + TITLE * title
    )
    hours = abs(seconds_apart) / 3600
    score *= 1 + PROXIMITY * min(1.0, max(0.0, (72 - hours) / 48))
    mismatch = new.denial != old.denial
    decay = 1 - TIME_DECAY * min(1.0, abs(seconds_apart) / window) if window else 1.0
    return Comparison(
        score=0.0 if mismatch else score * decay,
        quotes=quotes,
        numbers=numbers,
        dates=dates,
        sources=sources,
        entities=entities,
        common=tuple(sorted(new.common & old.common)),
        title_similarity=title,
        hours_apart=hours,
        denial_mismatch=mismatch,
    )


def _shared_quotes(new: Evidence, old: Evidence) -> tuple[str, ...]:
    """The new article's quotes that share a run of QUOTE_WORDS words with one of the old article's."""
    if not new.quotes or not old.quotes:
        return ()
    theirs = quote_shingles(old.quotes, old.language)
    return tuple(q for q in new.quotes if quote_shingles((q,), new.language) & theirs)


def _shared_numbers(new: Evidence, old: Evidence) -> tuple[tuple[str, ...], float]:
    theirs: dict[str, set[str]] = {}
    for value, unit in old.numbers:
        theirs.setdefault(value, set()).add(unit)
    shared, score = [], 0.0
    for value, unit in sorted(new.numbers):
        units = theirs.get(value)
        if not units:
            continue
        if unit and unit != "people" and unit in units:
            weight = NUMBER
        elif not unit or "" in units or "people" in {unit, *units} and {unit, *units} <= HEADCOUNTS:
            weight = NUMBER_LOOSE
        else:
            continue  # 1,500 troops are not 1,500 workers, nor 500 people 500 dollars
        if len(value) > 1 and len(value.rstrip("0")) == 1:
            weight *= ROUND_NUMBER
        shared.append(f"{value} {unit}".strip())
        score += weight
    return tuple(shared), min(NUMBERS_CAP, score)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
