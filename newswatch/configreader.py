"""Typed, key-checked reading of TOML tables, so every config error names its key."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from newswatch.errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # names of sources, rules, channels, groups, lists
HTTP_URL = re.compile(r"^https?://[^/\s]+")  # what a source's feed, sitemap or page URL must start with
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in a duration string such as "90s", "10m", "2h" or "1d"; ValueError if malformed."""
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"expected a duration such as \"90s\", \"10m\", \"2h\" or \"1d\", got {text!r}")
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def format_duration(seconds: float) -> str:
    """The shortest duration string that parse_duration reads back as `seconds`: 1800 → "30m"."""
    for unit in ("d", "h", "m", "s"):
        count = seconds / _UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"


def read_toml(path: Path, what: str, hint: str = "") -> dict[str, Any]:
    """A TOML file's data; ConfigError naming the file (and the line of a syntax error). `what`: "config file"…"""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


@dataclass
class Table:
    """One TOML table being read; `done()` rejects keys nobody asked for."""

    data: dict[str, Any]
    where: str  # dotted path of this table: "", "crawl", "alerts.email", "sources[2]"
    file: Path
    _seen: set[str] = field(default_factory=set)

    def error(self, key: str | None, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.path(key) or 'top level'}: {message}")

    def path(self, key: str | None = None) -> str:
        """The dotted name of `key` in this table, as printed in errors."""
        return ".".join(part for part in (self.where, key) if part)

    def name(self, default: str | None = None) -> str:
        """The table's `name` (required unless `default`), checked against NAME; later errors then show it."""
        value = self.str("name", default if default is not None else _REQUIRED)
        if not NAME.match(value):
            raise self.error("name", f"{value!r} must be letters, digits, '.', '_' or '-'")
        self.where = f"{self.where} ({value})"
        return value

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        return self.data.get(key, default)

    def _typed(self, key: str, default: Any, types: tuple[type, ...], label: str) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise self.error(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in types:
            raise self.error(key, f"expected {label}, got {value!r}")
        if not isinstance(value, types):
            raise self.error(key, f"expected {label}, got {value!r}")
        return value

    def str(self, key: str, default: Any = None, choices: Iterable[str] | None = None) -> Any:
        value = self._typed(key, default, (str,), "a string")
        if choices is not None and value is not None and value not in choices:
            options = ", ".join(sorted(choices))
            raise self.error(key, f"must be one of {options}, got {value!r}")
        return value

    def int(self, key: str, default: Any = None, minimum: int | None = None) -> Any:
        value = self._typed(key, default, (int,), "an integer")
        if minimum is not None and value is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return value

    def number(self, key: str, default: Any = None, minimum: float | None = None) -> Any:
        value = self._typed(key, default, (int, float), "a number")
        if minimum is not None and value is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return None if value is None else float(value)

    def bool(self, key: str, default: Any = None) -> Any:
        return self._typed(key, default, (bool,), "true or false")

    def duration(self, key: str, default: Any = None) -> Any:
        value = self._typed(key, default, (str,), "a duration string such as \"10m\"")
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def str_list(self, key: str, default: Any = None) -> Any:
        value = self._typed(key, default, (list, str), "a list of strings")
        if isinstance(value, str):
            value = [value]
        if value is not None and not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of strings, got {value!r}")
        return None if value is None else list(value)

    def table(self, key: str) -> "Table":
        value = self._typed(key, {}, (dict,), "a table")
        return Table(value, self.path(key), self.file)

    def tables(self, key: str) -> list["Table"]:
        value = self._typed(key, [], (list,), "an array of tables")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(key, f"item {i + 1} is not a table")
            out.append(Table(item, f"{self.path(key)}[{i + 1}]", self.file))
        return out

    def done(self) -> None:
        """Raise on the first key that no reader asked for, suggesting the closest known one."""
        for key in self.data:
            if key not in self._seen:
                hint = difflib.get_close_matches(key, sorted(self._seen), n=1, cutoff=0.6)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                known = ", ".join(sorted(self._seen))
                raise self.error(key, f"unknown key{suggestion}; known keys here: {known}")


_REQUIRED = object()
REQUIRED = _REQUIRED
