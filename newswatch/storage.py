"""The one SQLite file: articles (with FTS), per-URL fetch state, crawl runs and matches.

Tables of later stages (the alert outbox, stories) are owned by their own modules and share
this connection, so an article, its matches and its alerts commit in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from newswatch.errors import NewswatchError
from newswatch.models import Article, Match, SourceStats, utcnow


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (so stored times compare correctly as text), or None."""
    return value.astimezone(timezone.utc).isoformat(timespec="seconds") if value else None


class Storage:
    """Schema and queries over one SQLite database in WAL mode."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            if self.db.journal_mode != "wal":
                self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._ensure_schema()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise NewswatchError(f"{self.path}: cannot open database: {exc}") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One atomic unit of work that takes the write lock up front; nested uses become savepoints.

        BEGIN IMMEDIATE, because a deferred transaction that reads and then writes fails at once with
        "database is locked" when another connection committed in between: the busy timeout cannot help.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def _ensure_schema(self) -> None:
        db = self.db
        with db.atomic():
            if "articles" not in db.table_names():
                db["articles"].create(
                    {
                        "id": int,
                        "url": str,
                        "canonical_url": str,
                        "source": str,
                        "title": str,
                        "text": str,
                        "author": str,
                        "published": str,
                        "language": str,
                        "fetched": str,
                        "content_hash": str,
                        "duplicate_of": int,
                        "story_id": str,
                    },
                    pk="id",
                    not_null={"url", "canonical_url", "source", "title", "text", "fetched"},
                    foreign_keys=[("duplicate_of", "articles", "id")],
                )
                db["articles"].create_index(["url"], unique=True)
                db["articles"].create_index(["canonical_url"])
                db["articles"].create_index(["content_hash"])
                db["articles"].create_index(["fetched"])
                db["articles"].enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True)
            self._index_text_only_when_it_changes()
            if "urls" not in db.table_names():
                db["urls"].create(
                    {
                        "url": str,
                        "kind": str,  # article | page | feed | sitemap | redirect | skipped | error
                        "source": str,
                        "status": int,
                        "etag": str,
                        "last_modified": str,
                        "reason": str,
                        "article_id": int,
                        "first_seen": str,
                        "last_fetched": str,
                    },
                    pk="url",
                )
            if "runs" not in db.table_names():
                db["runs"].create(
                    {"id": int, "started": str, "finished": str, "status": str, "sources": str, "stats": str},
                    pk="id",
                )
            if "source_runs" not in db.table_names():
                db["source_runs"].create(
                    {
                        "id": int,
                        "run_id": int,
                        "source": str,
                        "started": str,
                        "finished": str,
                        "ok": int,
                        "fetched": int,
                        "new_articles": int,
                        "duplicates": int,
                        "matched": int,
                        "not_modified": int,
                        "known": int,
                        "skipped": str,  # JSON {reason: count}
                        "errors": str,  # JSON {reason: count}
                        "message": str,
                    },
                    pk="id",
                    foreign_keys=[("run_id", "runs", "id")],
                )
                db["source_runs"].create_index(["source", "started"])
            # A source's last run and last success, read after every run: seeks, however long the history.
            db["source_runs"].create_index(["source", "id"], if_not_exists=True)
            db["source_runs"].create_index(["source", "ok"], if_not_exists=True)
            if "matches" not in db.table_names():
                db["matches"].create(
                    {
                        "article_id": int,
                        "rule": str,
                        "category": str,
                        "score": float,
                        "terms": str,  # JSON list
                        "snippet": str,
                    },
                    pk=("article_id", "rule"),
                    foreign_keys=[("article_id", "articles", "id")],
                )

    def _index_text_only_when_it_changes(self) -> None:
        """sqlite-utils' FTS trigger re-indexes title and text on any update of a row; story assignment
        updates story_id of every new article, which made that a third of the cost of storing one."""
        (sql,) = self.db.execute("select sql from sqlite_master where type = 'trigger' and name = 'articles_au'").fetchone()
        narrowed = sql.replace("AFTER UPDATE ON", 'AFTER UPDATE OF "title", "text" ON')
        if narrowed != sql:  # else narrowed already
            self.db.execute("drop trigger articles_au")
            self.db.execute(narrowed)

    # -- URL fetch state ---------------------------------------------------

    def url_state(self, url: str) -> dict | None:
        rows = list(self.db.query("select * from urls where url = ?", [url]))
        return rows[0] if rows else None

    def known_urls(self, urls: list[str]) -> set[str]:
        """Which of these URLs were fetched before (articles, pages, redirects alike)."""
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r["url"] for r in self.db.query(f"select url from urls where url in ({marks})", chunk))
        return found

    def remember_url(
        self,
        url: str,
        kind: str,
        source: str,
        status: int | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        reason: str | None = None,
        article_id: int | None = None,
    ) -> None:
        """Record that `url` was fetched (and how); the first time it was seen is kept."""
        now = iso(utcnow())
        self.db.execute(
            """
            insert into urls (url, kind, source, status, etag, last_modified, reason, article_id, first_seen, last_fetched)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (url) do update set
              kind = excluded.kind, source = excluded.source, status = excluded.status, etag = excluded.etag,
              last_modified = excluded.last_modified, reason = excluded.reason, article_id = excluded.article_id,
              last_fetched = excluded.last_fetched
            """,
            [url, kind, source, status, etag, last_modified, reason, article_id, now, now],
        )

    # -- Articles ------------------------------------------------------------

    def article_id_for(self, *, url: str | None = None, canonical_url: str | None = None) -> int | None:
        """The id of the original article stored under this URL or canonical URL (a copy's original)."""
        for column, value in (("url", url), ("canonical_url", canonical_url)):
            if value:
                sql = f"select coalesce(duplicate_of, id) as id from articles where {column} = ? order by id limit 1"
                rows = list(self.db.query(sql, [value]))
                if rows:
                    return rows[0]["id"]
        return None

    def article_by_hash(self, content_hash: str) -> int | None:
        rows = list(
            self.db.query(
                "select id from articles where content_hash = ? and duplicate_of is null order by id limit 1",
                [content_hash],
            )
        )
        return rows[0]["id"] if rows else None

    def insert_article(
        self,
        article: Article,
        *,
        content_hash: str,
        duplicate_of: int | None = None,
        story_id: str | None = None,
    ) -> int:
        record = asdict(article)
        record.update(
            published=iso(article.published),
            fetched=iso(article.fetched),
            content_hash=content_hash,
            duplicate_of=duplicate_of,
            story_id=story_id,
        )
        return self._insert("articles", record)

    def save_matches(self, article_id: int, matches: list[Match]) -> None:
        self.db.execute("delete from matches where article_id = ?", [article_id])
        self.db.conn.executemany(
            "insert into matches (article_id, rule, category, score, terms, snippet) values (?, ?, ?, ?, ?, ?)",
            [
                (article_id, m.rule, m.category, m.score, json.dumps(list(m.terms), ensure_ascii=False), m.snippet)
                for m in matches
            ],
        )

    def iter_articles(self, since: datetime | None = None, include_duplicates: bool = False) -> Iterator[dict]:
        """Stored articles in id order, each with its categories and rules from `matches`."""
        where, params = [], []
        if since is not None:
            where.append("coalesce(a.published, a.fetched) >= ?")
            params.append(iso(since))
        if not include_duplicates:
            where.append("a.duplicate_of is null")
        clause = f"where {' and '.join(where)}" if where else ""
        sql = f"""
            select a.*,
              (select json_group_array(distinct category) from matches m where m.article_id = a.id) as categories,
              (select json_group_array(rule) from matches m where m.article_id = a.id) as rules,
              (select json_group_array(distinct b.source) from articles b
                where b.story_id = a.story_id and b.source != a.source) as also_reported_by
            from articles a {clause} order by a.id
        """
        for row in self.db.query(sql, params):
            row["categories"] = sorted(json.loads(row["categories"] or "[]"))
            row["rules"] = sorted(json.loads(row["rules"] or "[]"))
            row["also_reported_by"] = sorted(json.loads(row["also_reported_by"] or "[]"))
            yield row

    # -- Crawl runs ----------------------------------------------------------

    def start_run(self, sources: list[str]) -> int:
        with self.transaction():
            return self.db["runs"].insert(
                {"started": iso(utcnow()), "status": "running", "sources": json.dumps(sources), "stats": "{}"}
            ).last_pk

    def finish_run(self, run_id: int, status: str, stats: dict) -> None:
        with self.transaction():
            self.db["runs"].update(
                run_id, {"finished": iso(utcnow()), "status": status, "stats": json.dumps(stats, sort_keys=True)}
            )

    def record_source_run(self, run_id: int, source: str, started: datetime, stats: SourceStats) -> int:
        row = {
            "run_id": run_id,
            "source": source,
            "started": iso(started),
            "finished": iso(utcnow()),
            "ok": None if stats.stopped else int(stats.ok),
            "fetched": stats.fetched,
            "new_articles": stats.new_articles,
            "duplicates": stats.duplicates,
            "matched": stats.matched,
            "not_modified": stats.not_modified,
            "known": stats.known,
            "skipped": json.dumps(stats.skipped, sort_keys=True),
            "errors": json.dumps(stats.errors, sort_keys=True),
            "message": stats.message or (f"stopped early: {stats.stopped}" if stats.stopped else ""),
        }
        with self.transaction():
            return self._insert("source_runs", row)

    def _insert(self, table: str, record: dict) -> int:
        """Insert one row and return its rowid; for the hot paths (every article, every poll)."""
        # Plain SQL: sqlite-utils' insert() inspects the table schema on every call.
        columns = ", ".join(record)
        marks = ", ".join(f":{name}" for name in record)
        return self.db.execute(f"insert into {table} ({columns}) values ({marks})", record).lastrowid
