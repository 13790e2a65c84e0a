"""The names, units and denial words story grouping recognises in any script: aliases.toml, plus config additions.

Names are found with one Aho-Corasick pass over the normalised text; whether a hit counts depends on the
name's script (whole words for Latin, word starts for Cyrillic stems, anywhere for Korean, Japanese, Chinese).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

TABLE = Path(__file__).with_name("aliases.toml")
_HYPHENS = re.compile("[-‐‑‒–—]")
_APOSTROPHES = re.compile("['’ʼ`]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case, width, hyphens, apostrophes and ё folded, so that "Kim Jong-un's" reads "kim jong uns"."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", _HYPHENS.sub(" ", _APOSTROPHES.sub("", text)))


def unspaced(text: str) -> bool:
    """Written without spaces between words (Korean particles, Japanese, Chinese): matched anywhere."""
    return any(
        "\uac00" <= ch <= "\ud7a3" or "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text
    )


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


@dataclass(frozen=True)
class Name:
    id: str  # "kursk", "daily-nk"
    kind: str  # entity | source | unit | denial
    common: bool = False


class Vocabulary:
    """Finds known names in normalised text: `find(text)` yields the Name of each hit."""

    def __init__(self, names: Mapping[str, list[Name]]):
        self._automaton = ahocorasick.Automaton()
        for alias, found in names.items():
            # single unit and denial words are stems in every script ("troop" finds "troops", "dismiss" "dismissed")
            stem = _cyrillic(alias) or (" " not in alias and any(n.kind in ("unit", "denial") for n in found))
            rule = "anywhere" if unspaced(alias) else "stem" if stem else "word"
            self._automaton.add_word(alias, (len(alias), rule, tuple(found)))
        self._automaton.make_automaton()

    def find(self, text: str) -> Iterator[Name]:
        """Hits in `text`, which must be normalise()d; overlapping hits all count."""
        for end, (length, rule, found) in self._automaton.iter(text):
            start = end - length + 1
            if rule != "anywhere":
                if start > 0 and text[start - 1].isalnum():
                    continue
                after = text[end + 1 : end + 3]
                if rule == "word" and after[:1].isalnum() and not (after[:1] == "s" and not after[1:2].isalnum()):
                    continue
            yield from found


@dataclass(frozen=True)
class Lexicon:
    """What evidence.py reads names, sources, units and denials with."""

    vocabulary: Vocabulary


def lexicon(
    entities: Mapping[str, tuple[str, ...]] | None = None, sources: Mapping[str, tuple[str, ...]] | None = None
) -> Lexicon:
    """The shipped table with config additions: canonical name -> aliases (an existing id or a new name)."""
    frozen = [tuple((k, tuple(v)) for k, v in (extra or {}).items()) for extra in (entities, sources)]
    return _lexicon(*frozen)


@lru_cache(maxsize=8)
def _lexicon(entities: tuple, sources: tuple) -> Lexicon:
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    names: dict[str, list[Name]] = {}

    def add(alias: str, name: Name) -> None:
        key = normalise(alias).strip()
        if key and name not in names.setdefault(key, []):
            names[key].append(name)

    for kind, section in (("entity", "entities"), ("source", "sources")):
        for id_, entry in table[section].items():
            for alias in entry["names"]:
                add(alias, Name(id_, kind, entry.get("common", False)))
    for kind, extra in (("entity", entities), ("source", sources)):
        known = {normalise(a).strip(): n.id for a, found in names.items() for n in found if n.kind == kind}
        for canonical, aliases in extra:
            id_ = known.get(normalise(canonical).strip(), canonical)
            for alias in (canonical, *aliases):
                add(alias, Name(id_, kind))
    for unit, words in table["units"].items():
        for word in words:
            add(word, Name(unit, "unit"))
    for word in table["denial"]["words"]:
        add(word, Name("denial", "denial"))
    return Lexicon(Vocabulary(names))
