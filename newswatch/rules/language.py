"""The rule language: [[rules]] tables parsed into typed, validated Rule objects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newswatch.configreader import Table


@dataclass(frozen=True)
class Rule:
    name: str
    category: str


def parse_rules(tables: list[Table]) -> tuple[Rule, ...]:
    rules = []
    for t in tables:
        rules.append(Rule(name=t.str("name"), category=t.str("category")))
    return tuple(rules)


def parse_rules_file(path: Path) -> tuple[Rule, ...]:
    return ()


def load_default_rules() -> tuple[Rule, ...]:
    return ()
