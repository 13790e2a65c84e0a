"""What an article says that its retellings say too, in any language: names, figures, dates, sources, quotes.

Pure functions of the title and cleaned text. Names come from the curated table (vocabulary.py); figures are
read with their unit ("800 to 1,000 workers", "1만2000명", "10 тысяч военнослужащих", "1万人", "10.000 Soldaten")
so that they compare across languages as values; quotes are the passages in quotation marks of eight words
or more, which outlets retelling one report copy word for word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from newswatch.stories.signatures import UNSPACED_LANGUAGES, tokens
from newswatch.stories.vocabulary import Lexicon, normalise, unspaced

QUOTE_WORDS = 8  # a shared quote this long is strong evidence (characters x2 in languages without spaces)
RANGE_GAP = 9  # characters between two figures of a range: " to ", " and ", "-", " до ", " bis ", "~"
TITLE_WORD = 4  # shorter title words (articles, prepositions) say nothing about the story
_MULTIPLIERS = {
    **dict.fromkeys(("thousand", "тысяч", "тысячи", "тысяча", "тыс", "tausend", "mille", "천", "千"), 1_000),
    **dict.fromkeys(("만", "万"), 10_000),
    **dict.fromkeys(("million", "millions", "млн", "миллион", "миллиона", "миллионов", "millionen"), 1_000_000),
    **dict.fromkeys(("억", "億"), 100_000_000),
    **dict.fromkeys(("billion", "млрд", "миллиард", "миллиарда", "миллиардов", "milliarden", "milliards"), 10**9),
}
_MULTIPLIER = "|".join(sorted(map(re.escape, _MULTIPLIERS), key=len, reverse=True))
# 1,500 / 10.000 / 10 000 (thousands separators), else 1.5 or 1,5 (decimals); then an optional multiplier
# word; Korean and Japanese write 12,000 as 1만2000 or 1万2000, hence the optional second part.
_NUMBER = re.compile(
    r"(?<![0-9.,A-Za-zА-Яа-я])(?<![A-Za-z]-)(\d{1,3}(?:[,. \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)"
    rf"(?:\s?({_MULTIPLIER})(?![a-zа-яäöüéè]{{2}})(?:\s?(\d{{1,4}})(?!\d)\s?([천千])?)?)?"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:[,. \u00a0\u202f]\d{3})+")
_CURRENCY_SIGNS = ("$", "€", "£", "₩")  # written before the figure: "$500"; a money figure, whatever the currency
_SMALL_WORDS = {  # numbers under ten as words, in the text's case-folded form
    "en": "two three four five six seven eight nine",
    "ru": "два|две|двое|двух три|трое|трех четыре|четверо пять|пятеро шесть семь восемь девять",
    "de": "zwei drei vier fünf sechs sieben acht neun",
    "fr": "deux trois quatre cinq six sept huit neuf",
    "ko": "두 세 네 다섯 여섯 일곱 여덟 아홉",  # before a counter: 두 명
    "ja": "二 三 四 五 六 七 八 九",
}
_SMALL_VALUES = {
    word: str(i + 2) for words in _SMALL_WORDS.values() for i, forms in enumerate(words.split()) for word in forms.split("|")
}
_LATIN_SMALL = "|".join(w for w in _SMALL_VALUES if not unspaced(w))
_COUNTED_SMALL = "|".join(w for w in _SMALL_VALUES if unspaced(w))
_SMALL = re.compile(rf"(?<!\w)({_LATIN_SMALL})(?=\s)|({_COUNTED_SMALL})(?=\s?[명人])")
_NEXT_FIGURE = re.compile(r"\d")  # a unit window ends where another figure starts
_SEPARATORS = re.compile(r"[,. \u00a0\u202f]")
_MONTHS = {
    "en": "jan feb mar apr may jun jul aug sep oct nov dec",
    "ru": "январ феврал март апрел мая июн июл август сентябр октябр ноябр декабр",  # мая: not "ма" (машин)
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
_MONTH_OF = {word: i + 1 for words in _MONTHS.values() for i, word in enumerate(words.split())}
_MONTH = "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
_DATES = (
    re.compile(rf"(?<![\w])({_MONTH})[a-zа-яäéû]*\.?\s(\d{{1,2}})(?![\d])"),  # Jan. 20, January 20
    re.compile(rf"(?<![\d])(\d{{1,2}})(?:er|\.)?\s({_MONTH})"),  # 20 January, 20 января, 20. Januar, 1er février
    re.compile(r"(?<![\d])(\d{1,2})\s?[월月]\s?(\d{1,2})\s?[일日]"),  # 1월 20일, 1月20日
)
_QUOTES = re.compile(r"“([^”“]+)”|\"([^\"]+)\"|«([^»«]+)»|„([^“„]+)“|「([^」]+)」|『([^』]+)』|‘([^‘]+?)’(?!\w)")
_YEARS = range(1900, 2101)


@dataclass(frozen=True)
class Evidence:
    """The comparable facts of one article; `numbers` pairs a value with its unit ("" when none was found)."""

    entities: frozenset[str]  # specific people, places, organisations, weapons
    common: frozenset[str]  # names in nearly every article on the topic
    sources: frozenset[str]  # outlets and agencies named: the cited origin of a report
    numbers: frozenset[tuple[str, str]]
    dates: frozenset[str]  # "01-20"
    quotes: tuple[str, ...]
    title: frozenset[str]
    denial: bool  # the headline denies or dismisses a report
    language: str | None = None

    def to_json(self) -> dict:
        return {
            "entities": sorted(self.entities),
            "common": sorted(self.common),
            "sources": sorted(self.sources),
            "numbers": sorted(list(pair) for pair in self.numbers),
            "dates": sorted(self.dates),
            "quotes": list(self.quotes),
            "title": sorted(self.title),
            "denial": self.denial,
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict) -> Evidence:
        return cls(
            entities=frozenset(data["entities"]),
            common=frozenset(data["common"]),
            sources=frozenset(data["sources"]),
            numbers=frozenset(tuple(pair) for pair in data["numbers"]),
            dates=frozenset(data["dates"]),
            quotes=tuple(data["quotes"]),
            title=frozenset(data["title"]),
            denial=data["denial"],
            language=data["language"],
        )

    def without(self, stock: set[str]) -> Evidence:
        """These facts less the figures, dates and names whose keys() are stock (shared by many stories)."""
        if not stock:
            return self
        return replace(
            self,
            numbers=frozenset(n for n in self.numbers if f"number:{n[0]}" not in stock),
            dates=frozenset(d for d in self.dates if f"date:{d}" not in stock),
            entities=frozenset(e for e in self.entities if f"entity:{e}" not in stock),
        )

    def keys(self) -> list[str]:
        """What finds this article's retellings in the index: figures, dates, specific names and quotes."""
        values = {value for value, _ in self.numbers}
        return [
            *(f"number:{v}" for v in values),
            *(f"date:{d}" for d in self.dates),
            *(f"entity:{e}" for e in self.entities),
            *(f"quote:{q}" for q in quote_shingles(self.quotes, self.language)),
        ]


NO_EVIDENCE = Evidence(*(frozenset(),) * 5, quotes=(), title=frozenset(), denial=False)  # rows stored before evidence


def evidence(title: str, text: str, language: str | None, lexicon: Lexicon) -> Evidence:
    """The facts of one article that a retelling in any language would repeat."""
    folded = normalise(f"{title}\n{text}")
    found = list(lexicon.vocabulary.find(folded))
    dates, masked = _dates(unicodedata.normalize("NFKC", f"{title}\n{text}").casefold())
    return Evidence(
        entities=frozenset(n.id for n in found if n.kind == "entity" and not n.common),
        common=frozenset(n.id for n in found if n.kind == "entity" and n.common),
        sources=frozenset(n.id for n in found if n.kind == "source"),
        numbers=frozenset(_numbers(masked, lexicon)),
        dates=frozenset(dates),
        quotes=tuple(dict.fromkeys(_quotes(text, language))),
        title=frozenset(_title_words(title, language)),
        denial=any(n.kind == "denial" for n in lexicon.vocabulary.find(normalise(title))),
        language=language,
    )


def quote_shingles(quotes: tuple[str, ...], language: str | None) -> set[str]:
    """Every run of QUOTE_WORDS words inside the quotes: two articles sharing one share a quote."""
    size = QUOTE_WORDS * (2 if language in UNSPACED_LANGUAGES else 1)
    out = set()
    for quote in quotes:
        words = tokens(quote, language)
        out.update(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return out


def _dates(text: str) -> tuple[set[str], str]:
    """Month-day dates ("01-20"), and the text with them blanked so their days are not read as figures."""
    found = set()
    for pattern in _DATES:
        for m in pattern.finditer(text):
            first, second = m.groups()
            if first.isdigit() and second.isdigit():
                month, day = int(first), int(second)
            elif first.isdigit():
                month, day = _MONTH_OF[second], int(first)
            else:
                month, day = _MONTH_OF[first], int(second)
            if 1 <= month <= 12 and 1 <= day <= 31:
                found.add(f"{month:02d}-{day:02d}")
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return found, text


def _numbers(text: str, lexicon: Lexicon) -> set[tuple[str, str]]:
    text = _SMALL.sub(lambda m: _SMALL_VALUES[m.group()], text)
    found: list[tuple[float, str, int, int]] = []  # value, unit, start, end
    for m in _NUMBER.finditer(text):
        digits, multiplier, rest, thousands = m.groups()
        separated = _THOUSANDS.fullmatch(digits) is not None
        value = float(_SEPARATORS.sub("", digits)) if separated else float(digits.replace(",", "."))
        if multiplier:
            value *= _MULTIPLIERS[multiplier]
            if rest and _MULTIPLIERS[multiplier] == 10_000:
                value += int(rest) * (1000 if thousands else 1)
        if value < 2 or value != int(value) and value < 100:
            continue
        unit = _unit(text, m.start(), m.end(), lexicon)
        if value < 10 and unit in ("", "people"):
            continue  # "two days", "3 people": too common to tell reports apart
        if not unit and not multiplier and not separated and int(value) in _YEARS:
            continue  # a year
        found.append((value, unit, m.start(), m.end()))
    out = set()
    for i, (value, unit, _, end) in enumerate(found):
        if not unit and i + 1 < len(found) and found[i + 1][2] - end <= RANGE_GAP:
            unit = found[i + 1][1]  # the first figure of a range: "300-500 workers", "800 to 1,000 workers"
        out.add((str(int(value)) if value == int(value) else f"{value:g}", unit))
    return out


def _unit(text: str, start: int, end: int, lexicon: Lexicon) -> str:
    """The class of what a figure counts, from the words after it (and before it, in Korean and Japanese)."""
    if text[max(0, start - 1) : start] in _CURRENCY_SIGNS:
        return "money"
    after = _NEXT_FIGURE.split(text[end : end + 60], 1)[0].lstrip()
    cjk = bool(after[:1]) and unspaced(after[:1])
    units = _units(after[:12] if cjk else " ".join(after.split()[:5]), lexicon)
    if cjk and not [u for u in units if u != "people"]:
        units += _units(_NEXT_FIGURE.split(text[max(0, start - 8) : start])[-1], lexicon)
    specific = [u for u in units if u != "people"]
    return specific[0] if specific else ("people" if units else "")


def _units(window: str, lexicon: Lexicon) -> list[str]:
    return [n.id for n in lexicon.vocabulary.find(normalise(window)) if n.kind == "unit"]


def _quotes(text: str, language: str | None) -> list[str]:
    size = QUOTE_WORDS * (2 if language in UNSPACED_LANGUAGES else 1)
    quotes = (next(g for g in m.groups() if g) for m in _QUOTES.finditer(text))
    return [" ".join(q.split()) for q in quotes if len(tokens(q, language)) >= size]


def _title_words(title: str, language: str | None) -> set[str]:
    words = tokens(title, language)
    if language in UNSPACED_LANGUAGES or unspaced(title):
        joined = "".join(words)
        return {joined[i : i + 2] for i in range(len(joined) - 1)}
    return {w for w in words if len(w) >= TITLE_WORD}
