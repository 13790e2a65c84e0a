"""The persisted story index: puts each new article into an existing story or starts one.

Signatures live in the shared SQLite file. LSH band keys and phrase fingerprints go into one table
keyed by hash, so a new article is compared only with the few articles that share a key with it, in
time that does not grow with the number of stored articles. (datasketch's LSH keeps its buckets in
memory, Redis or Cassandra; this is the same banding, kept in SQLite.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from newswatch.config import StoriesConfig
from newswatch.models import utcnow
from newswatch.stories.listing import story_outlets
from newswatch.stories import minhash
from newswatch.stories.minhash import BandLayout
from newswatch.stories.signatures import Signature, signature

# A phrase that more than this many stored articles share is stock language ("did not immediately
# respond to a request for comment", a wire agency's footer), not a sign of one report. It also
# bounds every key lookup, which keeps the cost of an assignment flat.
COMMON_PHRASE = 50
MAX_TERMS = 384  # SQLite allows at most 500 terms in one compound SELECT
TERMS_STEP = 64

SCHEMA = """
create table if not exists story_articles (
    article_id integer primary key,
    story_id text not null,
    source text not null,
    at integer not null,  -- published, else indexing time; seconds since the epoch
    language text,
    minhash blob  -- null for copies and for texts shorter than one shingle
);
create index if not exists story_articles_story on story_articles (story_id, at);
create table if not exists story_keys (
    key integer not null,  -- an LSH band of the MinHash, or a winnowed phrase fingerprint
    at integer not null,
    article_id integer not null,
    primary key (key, at, article_id)
) without rowid;
"""


@dataclass(frozen=True)
class StoryAssignment:
    """The story an article was put in, as it stands with this article."""

    story_id: str
    is_new: bool
    articles: int
    outlets: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    """A stored article close enough to join its story; the best one wins."""

    story_id: str
    near_duplicate: bool
    jaccard: float
    shared_phrases: int

    @property
    def rank(self) -> tuple[bool, float, int]:
        return (self.near_duplicate, self.jaccard, self.shared_phrases)


class StoryIndex:
    """Assigns stories to articles; call inside the pipeline's transaction, after the article is inserted."""

    def __init__(self, db: sqlite_utils.Database, config: StoriesConfig):
        self.db = db
        self.config = config
        self.layout = BandLayout.for_threshold(config.threshold)
        with db.atomic():
            db.executescript(SCHEMA)
            db["articles"].create_index(["story_id"], if_not_exists=True)

    def assign(
        self, article_id: int, text: str, language: str | None, published: datetime | None, source: str
    ) -> StoryAssignment:
        """Join the story of the closest article (near-duplicate, or retelling by another outlet), or start one."""
        known = self._story_of(article_id)
        if known is not None:
            return self._assignment(known, is_new=False)
        at = _seconds(published)
        sig = signature(text, language)
        bands = self.layout.keys(sig.minhash) if sig.minhash is not None else []
        match = self._best_match(sig, bands, at, language, source)
        story_id = match.story_id if match else _new_story_id(article_id)
        with self.db.atomic():
            self._add_member(article_id, story_id, source, at, language, sig)
            self.db.conn.executemany(
                "insert or ignore into story_keys (key, at, article_id) values (?, ?, ?)",
                [(key, at, article_id) for key in (*bands, *sig.phrases)],
            )
        return self._assignment(story_id, is_new=match is None)

    def add_copy(
        self, article_id: int, original_id: int, source: str, published: datetime | None = None
    ) -> StoryAssignment:
        """Put a stored copy (same text, another URL) in its original's story, so its outlet is listed too."""
        original_story = self._story_of(original_id)
        story_id = original_story or _new_story_id(article_id)
        with self.db.atomic():
            self._add_member(article_id, story_id, source, _seconds(published), None, None)
        return self._assignment(story_id, is_new=original_story is None)

    def _best_match(
        self, sig: Signature, bands: list[int], at: int, language: str | None, source: str
    ) -> Candidate | None:
        """The stored article whose story this one joins, if any."""
        band_hits = {article_id for _, article_id, _ in self._lookup(bands)}
        shared = _shared_phrases(self._lookup(list(sig.phrases)), at, self.config.window)
        wanted = band_hits | {a for a, n in shared.items() if n >= self.config.shared_phrases}
        matches = []
        for row in self._members(wanted):
            if language and row["language"] and row["language"] != language:
                continue
            jaccard = 0.0
            if row["article_id"] in band_hits:
                jaccard = minhash.jaccard(sig.minhash, minhash.from_bytes(row["minhash"]))
            near = jaccard >= self.config.threshold
            # Outlets repeat their own boilerplate, so shared phrases count only between different outlets.
            retelling = row["source"] != source and shared[row["article_id"]] >= self.config.shared_phrases
            if near or retelling:
                matches.append(Candidate(row["story_id"], near, jaccard, shared[row["article_id"]]))
        return max(matches, key=lambda m: m.rank, default=None)

    def _lookup(self, keys: list[int]) -> list[tuple[int, int, int]]:
        """(key, article_id, at) of stored articles holding these keys: the oldest COMMON_PHRASE + 1 per key."""
        found: set[tuple[int, int, int]] = set()
        term = f"select * from (select key, article_id, at from story_keys where key = ? limit {COMMON_PHRASE + 1})"
        for i in range(0, len(keys), MAX_TERMS):
            chunk = keys[i : i + MAX_TERMS]
            # Padded to a multiple of TERMS_STEP with a repeated key (the set drops its repeated rows), so a
            # few statement texts recur and SQLite's statement cache spares the parse: a third of the time.
            chunk += chunk[:1] * (-len(chunk) % TERMS_STEP)
            found.update(self.db.execute(" union all ".join([term] * len(chunk)), chunk).fetchall())
        return list(found)

    def _members(self, article_ids: set[int]) -> list[dict]:
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        sql = f"select * from story_articles where minhash is not null and article_id in ({marks})"
        return list(self.db.query(sql, list(article_ids)))

    def _add_member(
        self, article_id: int, story_id: str, source: str, at: int, language: str | None, sig: Signature | None
    ) -> None:
        values = minhash.to_bytes(sig.minhash) if sig and sig.minhash is not None else None
        self.db.execute(
            "insert into story_articles (article_id, story_id, source, at, language, minhash)"
            " values (?, ?, ?, ?, ?, ?)",
            [article_id, story_id, source, at, language, values],
        )
        self.db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])

    def _story_of(self, article_id: int) -> str | None:
        row = self.db.execute("select story_id from story_articles where article_id = ?", [article_id]).fetchone()
        return row[0] if row else None

    def _assignment(self, story_id: str, is_new: bool) -> StoryAssignment:
        (count,) = self.db.execute("select count(*) from story_articles where story_id = ?", [story_id]).fetchone()
        return StoryAssignment(story_id, is_new, count, tuple(story_outlets(self.db, story_id)))


def _shared_phrases(hits: list[tuple[int, int, int]], at: int, window: float) -> Counter[int]:
    """How many phrases each article of the window shares with the new one; stock phrases left out."""
    per_key = Counter(key for key, _, _ in hits)
    return Counter(
        article_id for key, article_id, seen in hits if per_key[key] <= COMMON_PHRASE and abs(seen - at) <= window
    )


def _seconds(published: datetime | None) -> int:
    return int((published or utcnow()).timestamp())


def _new_story_id(article_id: int) -> str:
    return f"story-{article_id}"
