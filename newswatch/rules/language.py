"""The rule language: [[rules]] tables parsed into typed, validated Rule objects (README.md, "Keyword rules")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from newswatch.configreader import NAME, REQUIRED, Table, read_toml

BUILTIN_CATEGORIES = ("labor", "troops", "munitions")
FIELDS = ("title", "text")
DEFAULT_RULES = Path(__file__).with_name("default.toml")

_LANGUAGE = re.compile(r"^[a-z]{2}$")
_NOT_IN_TERMS = set('?()[]{}|\\^$+"')


@dataclass(frozen=True)
class Term:
    """One term as written ("North Korea*"): its words, and which of them end in a `*` wildcard."""

    text: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]


@dataclass(frozen=True)
class Group:
    """Terms of which any one will do (OR); a rule needs every one of its groups (AND)."""

    name: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Proximity:
    """Groups whose terms must come close: within `words` words of each other, or (None) one sentence."""

    groups: tuple[str, ...]
    words: int | None


@dataclass(frozen=True)
class Rule:
    """One keyword rule: fires when every group is found, close enough and often enough."""

    name: str
    category: str
    groups: tuple[Group, ...]
    exclude: tuple[Term, ...] = ()  # any of these found: the rule does not fire
    ignore: tuple[Term, ...] = ()  # spans that do not count as hits ("Workers' Party" for worker*)
    fields: tuple[str, ...] = FIELDS
    near: Proximity | None = None
    min_score: float = 1.0
    title_weight: float = 3.0
    language: str | None = None  # ISO 639-1, for people and summaries; rules match every article


def parse_term(text: str) -> Term:
    """A term such as "labo*", "North Korea" or "Северн* Коре*"; ValueError says what is wrong."""
    words = text.split()
    if not words:
        raise ValueError("empty term")
    bad = sorted(_NOT_IN_TERMS.intersection(text))
    if bad:
        raise ValueError(
            f"{' '.join(bad)} not allowed: terms are plain words, not regular expressions; "
            "list alternatives as separate terms"
        )
    if not any(ch.isalnum() for ch in text):
        raise ValueError("needs a letter or a digit")
    stems, prefix = [], []
    for word in words:
        stem = word.rstrip("*")
        if "*" in stem or len(word) - len(stem) > 1:
            raise ValueError("'*' may only end a word, once (a prefix wildcard, as in 'labo*')")
        if stem != word and (len(stem) < 2 or not stem[-1].isalnum()):
            raise ValueError("'*' needs at least two letters before it, the last a letter or digit")
        stems.append(stem)
        prefix.append(stem != word)
    return Term(" ".join(words), tuple(stems), tuple(prefix))


def parse_rules(
    tables: list[Table], categories: list[str] | None = None, term_lists: Table | None = None
) -> tuple[Rule, ...]:
    """Rules from [[rules]] tables, with the user's own `categories` and named `term_lists` beside them."""
    known = BUILTIN_CATEGORIES + tuple(c for c in categories or [] if c not in BUILTIN_CATEGORIES)
    lists = _term_lists(term_lists) if term_lists is not None else {}
    rules: list[Rule] = []
    names: set[str] = set()
    for t in tables:
        rule = _rule(t, known, lists)
        if rule.name in names:
            raise t.error("name", f"rule name {rule.name!r} is used twice")
        names.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def parse_rules_file(path: Path) -> tuple[Rule, ...]:
    """Rules from a TOML file with `categories`, `[term_lists]` and `[[rules]]` at its top level."""
    root = Table(read_toml(path, "rules file"), "", Path(path))
    rules = parse_rules(root.tables("rules"), root.str_list("categories", []), root.table("term_lists"))
    root.done()
    return rules


@cache
def load_default_rules() -> tuple[Rule, ...]:
    """The shipped rules for North Korean laborers, troops and munitions sent to Russia."""
    return parse_rules_file(DEFAULT_RULES)


def _term_lists(t: Table) -> dict[str, tuple[Term, ...]]:
    lists = {}
    for name in t.data:
        if not NAME.match(name):
            raise t.error(name, "list names must be letters, digits, '.', '_' or '-'")
        lists[name] = _terms(t, name, {}, allow_lists=False)
    t.done()
    return lists


def _terms(t: Table, key: str, lists: dict[str, tuple[Term, ...]], allow_lists: bool = True) -> tuple[Term, ...]:
    """The terms under `key`, with "@list" items replaced by the terms of that list."""
    terms: list[Term] = []
    for item in t.str_list(key, []):
        if item.startswith("@"):
            if not allow_lists:
                raise t.error(key, f"{item!r}: a term list cannot include another list")
            if item[1:] not in lists:
                raise t.error(key, f"unknown term list {item!r}{_did_you_mean(item[1:], lists, '@')}")
            terms.extend(lists[item[1:]])
            continue
        try:
            terms.append(parse_term(item))
        except ValueError as exc:
            raise t.error(key, f"term {item!r}: {exc}") from None
    return tuple(terms)


def _rule(t: Table, categories: tuple[str, ...], lists: dict[str, tuple[Term, ...]]) -> Rule:
    name = t.name()
    category = t.str("category", REQUIRED)
    if category not in categories:
        raise t.error(
            "category",
            f"unknown category {category!r}{_did_you_mean(category, categories)}; known: {', '.join(categories)}"
            " (declare your own with a top-level categories = [...])",
        )
    groups = _groups(t.table("groups"), lists)
    fields = tuple(t.str_list("fields", list(FIELDS)))
    for field in fields:
        if field not in FIELDS:
            raise t.error("fields", f"unknown field {field!r}{_did_you_mean(field, FIELDS)}; fields: title, text")
    if not fields:
        raise t.error("fields", "must name at least one of title, text")
    language = t.str("language")
    if language is not None and not _LANGUAGE.match(language):
        raise t.error("language", f'expected a two-letter ISO 639-1 code such as "en", got {language!r}')
    rule = Rule(
        name=name,
        category=category,
        groups=groups,
        exclude=_terms(t, "exclude", lists),
        ignore=_terms(t, "ignore", lists),
        fields=fields,
        near=_proximity(t, groups),
        min_score=t.number("min_score", 1.0, minimum=0),
        title_weight=t.number("title_weight", 3.0, minimum=0),
        language=language,
    )
    t.done()
    return rule


def _groups(t: Table, lists: dict[str, tuple[Term, ...]]) -> tuple[Group, ...]:
    if not t.data:
        raise t.error(None, 'needs at least one group of terms, as in [rules.groups] who = ["North Korea", "DPRK"]')
    groups = []
    for name in t.data:
        if not NAME.match(name):
            raise t.error(name, "group names must be letters, digits, '.', '_' or '-'")
        terms = _terms(t, name, lists)
        if not terms:
            raise t.error(name, "is empty: a group needs at least one term")
        groups.append(Group(name, terms))
    t.done()
    return tuple(groups)


def _proximity(t: Table, groups: tuple[Group, ...]) -> Proximity | None:
    within = t.raw("within")
    near = t.str_list("near")
    if within is None:
        if near is not None:
            raise t.error("near", 'needs within = N (words) or within = "sentence"')
        return None
    if within == "sentence":
        words = None
    elif isinstance(within, int) and not isinstance(within, bool) and within >= 1:
        words = within
    else:
        raise t.error("within", f'expected a number of words (1 or more) or "sentence", got {within!r}')
    names = [g.name for g in groups]
    for name in near or []:
        if name not in names:
            raise t.error("near", f"unknown group {name!r}{_did_you_mean(name, names)}; groups: {', '.join(names)}")
    chosen = tuple(near) if near is not None else tuple(names)
    if len(set(chosen)) < 2:
        raise t.error("near", "needs at least two groups to bring close together")
    return Proximity(chosen, words)


def _did_you_mean(word: str, options: Iterable[str], prefix: str = "") -> str:
    hint = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {prefix + hint[0]!r}?)" if hint else ""
