"""Case- and accent-folding of text for matching, with a map from folded offsets back to the original.

Every character of the Basic Multilingual Plane is folded once into a table (NFKD, combining marks
dropped, casefolded); Hangul is left as it is because NFKD would split its syllables into jamo.
Whitespace and dashes fold to a single space, so "Kim Jong-un" and "Kim Jong Un" read the same and
words are what lies between spaces. Most characters fold to exactly one character, so folding is
mostly `str.translate` with offsets carried over unchanged; runs of spaces and the rare characters
that fold to zero or several (ß, ligatures, soft hyphens, separate combining marks) are folded one
by one into a small offset map.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

_APOSTROPHES = "\u2019\u02bc\u2018\u0060\u00b4\u2032"


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def is_unspaced(ch: str) -> bool:
    """Scripts written without spaces between words (Chinese characters, kana, Thai): no word boundaries."""
    return (
        "\u3040" <= ch <= "\u30ff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u4e00" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\uff66" <= ch <= "\uff9f"
        or "\u0e00" <= ch <= "\u0e7f"
    )


def is_word_char(ch: str) -> bool:
    """A letter or digit of a script that separates words with spaces."""
    return ch.isalnum() and (ch < "\u0e00" or not is_unspaced(ch))


def _fold_char(ch: str) -> str:
    if is_hangul(ch):
        return ch
    if ch.isspace() or unicodedata.category(ch) == "Pd":
        return " "
    if ch in _APOSTROPHES:
        return "'"
    if unicodedata.category(ch) == "Cf":  # soft hyphen, zero-width joiners: invisible inside words
        return ""
    folded = ch
    for _ in range(2):  # casefolding can yield characters that decompose again
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if len(folded) > 1 and not any(c.isalnum() for c in folded):
        return folded[0]  # "…" → ".": punctuation keeps one character and so keeps offsets
    return folded


_SPACE_RUN = re.compile(" {2,}")


@dataclass(frozen=True)
class _Tables:
    translate: list[str]
    odd_char: re.Pattern[str]  # a character that folds to zero or several characters
    odd: re.Pattern[str]  # such a character, or a run of characters that fold to spaces


@cache
def _tables() -> _Tables:
    translate, spaces, odd = [], [], []
    for cp in range(0x10000):
        ch = chr(cp)
        folded = ch if 0xD800 <= cp <= 0xDFFF else _fold_char(ch)
        translate.append(folded)
        if folded == " ":
            spaces.append(re.escape(ch))
        elif len(folded) != 1:
            odd.append(re.escape(ch))
    odd_class = f"[{''.join(odd)}]"
    return _Tables(translate, re.compile(odd_class), re.compile(f"[{''.join(spaces)}]{{2,}}|{odd_class}"))


@dataclass(frozen=True)
class FoldedText:
    """`text` folded for matching; `original_span` maps a folded span back to `original`."""

    original: str
    text: str
    # Segment starts in the folded text and in the original; a segment is either a run folded
    # one-to-one, or one odd piece: a character folded to several, or a run of spaces folded to one.
    _folded_starts: tuple[int, ...] = ()
    _original_starts: tuple[int, ...] = ()
    _one_to_one: tuple[bool, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if not self._folded_starts:
            return start, end
        return self._to_original(start), self._to_original(end - 1) + 1

    def _to_original(self, pos: int) -> int:
        i = bisect.bisect_right(self._folded_starts, pos) - 1
        if self._one_to_one[i]:
            return self._original_starts[i] + pos - self._folded_starts[i]
        return self._original_starts[i]


def fold(text: str) -> FoldedText:
    """Fold `text` for matching: lower case, no accents, runs of whitespace and dashes as one space."""
    tables = _tables()
    if tables.odd_char.search(text) is None:
        folded = text.translate(tables.translate)
        return _collapse(text, folded, _SPACE_RUN.finditer(folded), lambda run: run)
    return _collapse(text, text, tables.odd.finditer(text), lambda run: run.translate(tables.translate))


def _collapse(original: str, source: str, odd: Iterator[re.Match[str]], fold_run: Callable[[str], str]) -> FoldedText:
    """Fold `source` (the original, or its one-to-one folding) where the `odd` matches say otherwise."""
    parts: list[str] = []
    folded_starts: list[int] = []
    original_starts: list[int] = []
    one_to_one: list[bool] = []
    folded_pos = original_pos = 0

    def add(piece: str, original_len: int, regular: bool) -> None:
        nonlocal folded_pos, original_pos
        if piece:
            parts.append(piece)
            folded_starts.append(folded_pos)
            original_starts.append(original_pos)
            one_to_one.append(regular)
        folded_pos += len(piece)
        original_pos += original_len

    for m in odd:
        run = source[original_pos : m.start()]
        add(fold_run(run), len(run), True)
        piece = m.group()
        add(" " if len(piece) > 1 else fold_run(piece), len(piece), False)
    if not folded_starts:
        return FoldedText(original, fold_run(source))
    run = source[original_pos:]
    add(fold_run(run), len(run), True)
    return FoldedText(original, "".join(parts), tuple(folded_starts), tuple(original_starts), tuple(one_to_one))


def fold_term(term: str) -> str:
    """A term folded as text is."""
    return fold(unicodedata.normalize("NFC", term)).text.strip()
