"""Per-source template memory in the SQLite file: what each source's pages showed, and what was learned from it.

Each newly stored article's page (what extractors/templates.py observed) counts once for its source:
- a line (at most 30 words) is learned once it appeared on LINE_PAGES distinct pages of the source, so
  the first pages of a new source are cleaned as without memory, and a line that recurs twice stays;
- a shape is learned once it held linked lines on SHAPE_PAGES distinct pages, each time with a text it
  had not held before (a slot whose text changes, always around a link to another story); a shape seen
  holding a line without such a link is never learned, and is forgotten if it was.
Pages are distinct stored articles: a copy or a page fetched again teaches nothing. Each source keeps at
most MAX_LINES lines and MAX_SHAPES shapes, learned or not; the least recently seen go first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from hashlib import blake2b

import sqlite_utils

from newswatch.models import LineSeen, ShapeSeen, TemplateMemory, TemplateSeen, utcnow
from newswatch.storage import Storage, iso

LINE_PAGES = 3  # a line on this many pages of a source is its template's
SHAPE_PAGES = 3  # likewise for a slot of changing text
# About twenty pages' worth of a source's short lines: chrome recurs within a few pages, and every page that
# shows a learned line keeps it recent. The bound keeps the file small with thousands of sources.
MAX_LINES = 500
MAX_SHAPES = 100  # a template has a few dozen element shapes around its text
SHAPE_TEXTS = 32  # digests of a shape's latest texts, to tell a changing slot from a fixed one


@dataclass(frozen=True)
class Learned:
    """One learned line or shape of a source, as `sources show` lists it."""

    text: str
    pages: int  # distinct pages it was seen on (a shape: with new text and a link)
    last_seen: str


@dataclass(frozen=True)
class SourceTemplate:
    """A source's template memory: how much it has seen and what it learned."""

    pages: int  # stored pages counted
    lines: tuple[Learned, ...]
    shapes: tuple[Learned, ...]
    candidates: int  # lines and shapes counted but not learned


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the template memory tables if missing; safe inside an open transaction."""
    tables = db.table_names()
    if "template_sources" not in tables:
        db["template_sources"].create({"source": str, "pages": int, "last_seen": str}, pk="source", not_null={"pages"})
    if "template_lines" not in tables:
        db["template_lines"].create(
            {
                "source": str,
                "key": str,  # the line's words, lower-case
                "line": str,  # as the last page had it
                "pages": int,
                "last_page": int,  # the source's page count when last seen: recency, for eviction
                "last_seen": str,
                "learned": int,
            },
            pk=("source", "key"),
            not_null={"pages", "last_page", "learned"},
        )
        db["template_lines"].create_index(["source", "last_page"])
    if "template_shapes" not in tables:
        db["template_shapes"].create(
            {
                "source": str,
                "shape": str,
                "pages": int,
                "texts": str,  # JSON list of the latest SHAPE_TEXTS text digests
                "linkless": int,  # once held a line without a link: never learned
                "last_page": int,
                "last_seen": str,
                "learned": int,
            },
            pk=("source", "shape"),
            not_null={"pages", "linkless", "last_page", "learned"},
        )
        db["template_shapes"].create_index(["source", "last_page"])


class TemplateStore:
    """Every source's template memory; the learned sets are cached per source, for the extraction jobs."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self._memory: dict[str, TemplateMemory] = {}
        with storage.transaction() as db:
            ensure_schema(db)

    def memory(self, source: str) -> TemplateMemory:
        """What `source`'s template memory learned, to apply to its next pages."""
        memory = self._memory.get(source)
        if memory is None:
            db = self.storage.db
            lines = db.execute("select key from template_lines where source = ? and learned", [source])
            shapes = db.execute("select shape from template_shapes where source = ? and learned", [source])
            memory = self._memory[source] = TemplateMemory(
                frozenset(key for (key,) in lines), frozenset(shape for (shape,) in shapes)
            )
        return memory

    def learn(self, source: str, seen: TemplateSeen) -> None:
        """Count one newly stored page of `source`; its next pages get what that changes."""
        now = iso(utcnow())
        with self.storage.transaction() as db:
            page = db.execute(
                "insert into template_sources (source, pages, last_seen) values (?, 1, ?) on conflict (source)"
                " do update set pages = pages + 1, last_seen = excluded.last_seen returning pages",
                [source, now],
            ).fetchone()[0]
            # lists, not generators: every line and shape is counted, not only those up to the first change
            changed = any([_count_line(db, source, line, page, now) for line in seen.lines])
            changed |= any([_count_shape(db, source, shape, page, now) for shape in seen.shapes])
            changed |= _evict(db, "template_lines", source, MAX_LINES)
            changed |= _evict(db, "template_shapes", source, MAX_SHAPES)
        if changed:
            self._memory.pop(source, None)

    def report(self, source: str) -> SourceTemplate:
        """What `source`'s template memory has seen and learned, for `sources show`."""
        db = self.storage.db
        row = db.execute("select pages from template_sources where source = ?", [source]).fetchone()
        (candidates,) = db.execute(
            "select (select count(*) from template_lines where source = ? and not learned)"
            " + (select count(*) from template_shapes where source = ? and not learned)",
            [source, source],
        ).fetchone()
        return SourceTemplate(
            pages=row[0] if row else 0,
            lines=_learned(db, "template_lines", "line", source),
            shapes=_learned(db, "template_shapes", "shape", source),
            candidates=candidates,
        )


def _learned(db: sqlite_utils.Database, table: str, column: str, source: str) -> tuple[Learned, ...]:
    sql = f"select {column}, pages, last_seen from {table} where source = ? and learned order by pages desc, {column}"
    return tuple(Learned(*row) for row in db.execute(sql, [source]))


def _count_line(db: sqlite_utils.Database, source: str, line: LineSeen, page: int, now: str) -> bool:
    """Count the line on one more page; whether it is learned now."""
    (pages,) = db.execute(
        """
        insert into template_lines (source, key, line, pages, last_page, last_seen, learned)
        values (:source, :key, :line, 1, :page, :now, 1 >= :needed)
        on conflict (source, key) do update set
          line = excluded.line, pages = pages + 1, last_page = excluded.last_page, last_seen = excluded.last_seen,
          learned = pages + 1 >= :needed
        returning pages
        """,
        {"source": source, "key": line.key, "line": line.text, "page": page, "now": now, "needed": LINE_PAGES},
    ).fetchone()
    return pages == LINE_PAGES


def _count_shape(db: sqlite_utils.Database, source: str, shape: ShapeSeen, page: int, now: str) -> bool:
    """Count the shape on one more page; whether that learned or forgot it."""
    row = db.execute(
        "select pages, texts, linkless, learned from template_shapes where source = ? and shape = ?",
        [source, shape.shape],
    ).fetchone()
    pages, texts, linkless, was_learned = row or (0, "[]", 0, 0)
    known: list[str] = json.loads(texts)
    if not shape.linked:
        linkless, known = 1, []  # the texts are not needed any more: the shape will never be learned
    elif not linkless:
        digests = sorted({_digest(text) for text in shape.texts})
        if not set(digests) <= set(known):
            pages += 1
        known = (known + [d for d in digests if d not in known])[-SHAPE_TEXTS:]
    learned = not linkless and pages >= SHAPE_PAGES
    db.execute(
        "insert or replace into template_shapes (source, shape, pages, texts, linkless, last_page, last_seen, learned)"
        " values (?, ?, ?, ?, ?, ?, ?, ?)",
        [source, shape.shape, pages, json.dumps(known), linkless, page, now, int(learned)],
    )
    return learned != bool(was_learned)


def _evict(db: sqlite_utils.Database, table: str, source: str, keep: int) -> bool:
    """Delete all but the `keep` most recently seen rows of `source`; whether a learned one went."""
    evicted = db.execute(
        f"delete from {table} where rowid in (select rowid from {table} where source = ?"
        " order by last_page desc, pages desc limit -1 offset ?) returning learned",
        [source, keep],
    ).fetchall()
    return any(learned for (learned,) in evicted)


def _digest(text: str) -> str:
    return blake2b(text.encode(), digest_size=6).hexdigest()
