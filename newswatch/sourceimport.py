"""`sources import`: an OPML or TOML feed list written as a TOML sources file that config.toml can point at."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from newswatch.config import SourceDefaults, parse_sources
from newswatch.configreader import Table, read_toml
from newswatch.errors import UsageError
from newswatch.opml import Duplicate
from newswatch.sourcefile import DeclaredSource, Names, declared_in, read_sources_file

# Keys in the order a person reads a source; parse_sources has refused every other key.
_KEY_ORDER = ("name", "feeds", "sitemaps", "pages", "follow", "every", "cron", "enabled", "tags")


@dataclass(frozen=True)
class Renamed:
    """A source renamed because config.toml already declares its name."""

    old: str
    new: str
    location: str  # where the imported file declares it


@dataclass(frozen=True)
class ImportResult:
    target: Path
    sources: tuple[DeclaredSource, ...]
    duplicates: tuple[Duplicate, ...]
    renamed: tuple[Renamed, ...]
    config_sources_file: str | None  # config.toml's `sources_file`, if it has one
    config_reads_target: bool  # that `sources_file` is the file just written
    sources_file_line: str  # the `sources_file = "..."` line that makes config.toml read the target


def import_sources(source: Path, target: Path, config_path: Path, *, force: bool = False) -> ImportResult:
    """Read `source`, validate it, and write `target` atomically; config.toml is only read, never rewritten."""
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists; pass --force to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"{target}: folder {target.parent} does not exist")
    config = _config_toml(config_path)
    read = read_sources_file(source)
    config_names = {d.data.get("name") for d in declared_in(Table(config, "", config_path))}
    sources, renamed = _rename_clashes(read.sources, config_names)
    parse_sources(sources, SourceDefaults())  # refuse to write what would not load back
    relative = Path(os.path.relpath(target.resolve(), config_path.resolve().parent)).as_posix()
    _write_atomically(target, render_sources(sources, source, config_path.name, relative))
    sources_file = config.get("sources_file")
    sources_file = sources_file if isinstance(sources_file, str) else None
    return ImportResult(
        target=target,
        sources=sources,
        duplicates=read.duplicates,
        renamed=renamed,
        config_sources_file=sources_file,
        config_reads_target=sources_file is not None
        and (config_path.parent / sources_file).resolve() == target.resolve(),
        sources_file_line=f"sources_file = {_toml(relative)}",
    )


def _config_toml(path: Path) -> dict[str, Any]:
    """config.toml's data, or nothing when there is none yet: an import may come before the first config."""
    return read_toml(path, "config file") if path.exists() else {}


def _rename_clashes(
    sources: tuple[DeclaredSource, ...], config_names: set[str]
) -> tuple[tuple[DeclaredSource, ...], tuple[Renamed, ...]]:
    """Number the imported sources whose name config.toml uses, as OPML titles that repeat are numbered."""
    names = Names(config_names | {s.data.get("name") for s in sources})
    out, renamed = [], []
    for declared in sources:
        name = declared.data.get("name")
        if name in config_names:
            new = names.claim(name)
            renamed.append(Renamed(name, new, declared.location))
            declared = replace(declared, data={**declared.data, "name": new})
        out.append(declared)
    return tuple(out), tuple(renamed)


def render_sources(sources: tuple[DeclaredSource, ...], origin: Path, config_name: str, relative: str) -> str:
    """The TOML text of a sources file: one [[sources]] table per source, its OPML title and site as a comment."""
    lines = [
        f"# Imported from {_one_line(str(origin))} by `newswatch sources import` on {date.today().isoformat()}.",
        f"# {config_name} reads this file with: sources_file = {_toml(relative)}",
    ]
    for declared in sources:
        lines.append("")
        if declared.note:
            lines.append(f"# {_one_line(declared.note)}")
        lines.append("[[sources]]")
        data = declared.data
        lines += [f"{key} = {_toml(data[key])}" for key in _KEY_ORDER if key in data]
    return "\n".join(lines) + "\n"


def _toml(value: str | bool | list) -> str:
    """A TOML value: JSON's string escapes are TOML's, except DEL, which TOML wants escaped too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _one_line(text: str) -> str:
    """Text safe inside a comment line: no line breaks or other control characters."""
    return "".join(c if c.isprintable() else " " for c in text)


def _write_atomically(path: Path, text: str) -> None:
    """Write beside `path`, then rename over it: a reader sees the old file or the new one, never half."""
    # A temporary file is private (0600); the daemon may run as another user than the one importing.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    prefix = f".{path.name}."
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=prefix, delete=False) as f:
        tmp = Path(f.name)
        try:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
            os.chmod(tmp, mode)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, path)
