"""The persisted story index: puts each new article into an existing story or starts one, and says why.

Signatures and evidence live in the shared SQLite file. LSH band keys, phrase fingerprints and evidence
keys (figures, dates, specific names, quotes) go into one table keyed by hash, so a new article is compared
only with the few articles that share a key with it, in time that does not grow with the number of stored
articles. (datasketch's LSH keeps its buckets in memory, Redis or Cassandra; this is the same banding, kept
in SQLite.) An article that joins two stories merges the younger into the older.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from newswatch.config import StoriesConfig
from newswatch.models import utcnow
from newswatch.stories.listing import story_outlets
from newswatch.stories import minhash
from newswatch.stories.minhash import BandLayout
from newswatch.stories.evidence import NO_EVIDENCE, Evidence, evidence
from newswatch.stories.retelling import Comparison, compare
from newswatch.stories.signatures import Signature, signature
from newswatch.stories.vocabulary import lexicon

# A phrase that more than this many stored articles share is stock language ("did not immediately
# respond to a request for comment", a wire agency's footer), not a sign of one report. It also
# bounds every key lookup, which keeps the cost of an assignment flat.
COMMON_PHRASE = 50
MAX_TERMS = 384  # SQLite allows at most 500 terms in one compound SELECT
TERMS_STEP = 64
STOCK_STORIES = 3  # an evidence key held by articles of this many stories in the window is background
EVIDENCE_CANDIDATES = 40  # stored articles sharing the most evidence keys that are scored in full

SCHEMA = """
create table if not exists story_articles (
    article_id integer primary key,
    story_id text not null,
    source text not null,
    at integer not null,  -- published, else indexing time; seconds since the epoch
    language text,
    minhash blob,  -- null for copies and for texts shorter than one shingle
    evidence text,  -- JSON: newswatch.stories.evidence.Evidence
    joined text  -- JSON: why it joined its story (null for the first article of a story)
);
create table if not exists story_merges (
    story_id text not null,  -- the story that was merged away
    into_story text not null,
    article_id integer not null,  -- the article that linked the two
    at integer not null
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
    evidence: dict = field(default_factory=dict)  # why the article joined (Candidate.to_json()); empty for a new story


@dataclass(frozen=True)
class Candidate:
    """A stored article close enough to join its story; the best one wins."""

    article_id: int
    story_id: str
    near_duplicate: bool
    jaccard: float
    shared_phrases: int
    comparison: Comparison

    @property
    def rank(self) -> tuple[bool, float, int]:
        return (self.near_duplicate, self.jaccard + self.comparison.score, self.shared_phrases)

    def to_json(self, merged: list[str]) -> dict:
        return {
            "with_article": self.article_id,
            "near_duplicate": self.near_duplicate,
            "jaccard": round(self.jaccard, 3),
            "shared_phrases": self.shared_phrases,
            **self.comparison.to_json(),
            "merged": merged,
        }


class StoryIndex:
    """Assigns stories to articles; call inside the pipeline's transaction, after the article is inserted."""

    def __init__(self, db: sqlite_utils.Database, config: StoriesConfig):
        self.db = db
        self.config = config
        self.layout = BandLayout.for_threshold(config.threshold)
        self.lexicon = lexicon(config.entities, config.sources)
        with db.atomic():
            db.executescript(SCHEMA)
            columns = db["story_articles"].columns_dict
            for column in ("evidence", "joined"):  # files written before evidence existed
                if column not in columns:
                    db.execute(f"alter table story_articles add column {column} text")
            db["articles"].create_index(["story_id"], if_not_exists=True)

    def assign(
        self,
        article_id: int,
        text: str,
        language: str | None,
        published: datetime | None,
        source: str,
        title: str = "",
    ) -> StoryAssignment:
        """Join the story of the closest article (near-duplicate, or retelling in any language), or start one."""
        known = self._story_of(article_id)
        if known is not None:
            return self._assignment(known, is_new=False)
        at = _seconds(published)
        sig = signature(text, language)
        facts = evidence(title, text, language, self.lexicon) if self.config.evidence else NO_EVIDENCE
        bands = self.layout.keys(sig.minhash) if sig.minhash is not None else []
        found = self._matches(sig, facts, bands, at, language, source)
        best = max(found, key=lambda c: c.rank, default=None)
        stories = self._oldest_first({c.story_id for c in found})
        story_id = stories[0] if stories else _new_story_id(article_id)
        joined = best.to_json(merged=stories[1:]) if best else None
        with self.db.atomic():
            for younger in stories[1:]:
                self._merge(younger, story_id, article_id, at)
            self._add_member(article_id, story_id, source, at, language, sig, facts, joined)
            self.db.conn.executemany(
                "insert or ignore into story_keys (key, at, article_id) values (?, ?, ?)",
                [(key, at, article_id) for key in (*bands, *sig.phrases, *map(_key_hash, facts.keys()))],
            )
        return self._assignment(story_id, is_new=best is None, evidence=joined or {})

    def add_copy(
        self, article_id: int, original_id: int, source: str, published: datetime | None = None
    ) -> StoryAssignment:
        """Put a stored copy (same text, another URL) in its original's story, so its outlet is listed too."""
        original_story = self._story_of(original_id)
        story_id = original_story or _new_story_id(article_id)
        joined = {"copy_of": original_id}
        with self.db.atomic():
            self._add_member(article_id, story_id, source, _seconds(published), None, None, None, joined)
        return self._assignment(story_id, is_new=original_story is None, evidence=joined)

    def _matches(
        self, sig: Signature, facts: Evidence, bands: list[int], at: int, language: str | None, source: str
    ) -> list[Candidate]:
        """The stored articles whose stories this one joins: near-duplicates and retellings."""
        window = self.config.window
        band_hits = {article_id for _, article_id, _ in self._lookup(bands)}
        hits = self._lookup(list(sig.phrases))
        named = {_key_hash(key): key for key in facts.keys()}
        keyed = self._recent(list(named), at)
        stories = self._stories_of({a for _, a, _ in hits} | {a for _, a in keyed})
        shared = _shared_phrases(hits, stories, at, window)
        stock = _stock_keys(keyed, stories)
        facts = facts.without({named[key] for key in stock})
        counts = Counter(a for key, a in keyed if key not in stock)
        wanted = band_hits | {a for a, n in shared.items() if n >= self.config.shared_phrases}
        wanted |= {a for a, _ in counts.most_common(EVIDENCE_CANDIDATES)}
        matches = []
        for row in self._members(wanted):
            same_language = not (language and row["language"] and row["language"] != language)
            jaccard = 0.0
            if same_language and row["article_id"] in band_hits and row["minhash"] is not None:
                jaccard = minhash.jaccard(sig.minhash, minhash.from_bytes(row["minhash"]))
            near = jaccard >= self.config.threshold
            theirs = Evidence.from_json(json.loads(row["evidence"])) if row["evidence"] else NO_EVIDENCE
            comparison = compare(facts, theirs, at - row["at"], window)
            # Outlets repeat their own boilerplate, so shared phrases count only between different outlets.
            retelling = (
                same_language
                and not comparison.denial_mismatch
                and row["source"] != source
                and shared[row["article_id"]] >= self.config.shared_phrases
            )
            candidate = Candidate(row["article_id"], row["story_id"], near, jaccard, shared[row["article_id"]], comparison)
            if near or retelling or comparison.anchored and comparison.score >= self.config.retelling_score:
                matches.append(candidate)
        return matches

    def _recent(self, keys: list[int], at: int) -> list[tuple[int, int]]:
        """(key, article_id) of the articles stored within `window` of `at` that hold these keys (the newest per key)."""
        found: list[tuple[int, int]] = []
        low, high = at - self.config.window, at + self.config.window
        term = (
            "select * from (select key, article_id from story_keys where key = ? and at between ? and ?"
            f" order by at desc limit {COMMON_PHRASE + 1})"
        )
        for i in range(0, len(keys), MAX_TERMS // 2):
            chunk = keys[i : i + MAX_TERMS // 2]
            params = [value for key in chunk for value in (key, low, high)]
            found.extend(self.db.execute(" union all ".join([term] * len(chunk)), params).fetchall())
        return found

    def _oldest_first(self, story_ids: set[str]) -> list[str]:
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        rows = self.db.execute(
            f"select story_id from story_articles where story_id in ({marks})"
            " group by story_id order by min(at), min(article_id)",
            list(story_ids),
        )
        return [story_id for (story_id,) in rows]

    def _merge(self, story_id: str, into: str, article_id: int, at: int) -> None:
        """Move every article of `story_id` into `into`; its alerts follow, so it is never announced again."""
        started = json.dumps({"started": story_id, "merged_by_article": article_id})
        self.db.execute("update story_articles set joined = ? where story_id = ? and joined is null", [started, story_id])
        for table in ("story_articles", "articles", "alerts"):  # alerts: absent until the outbox is first used
            if table in self.db.table_names():
                self.db.execute(f"update {table} set story_id = ? where story_id = ?", [into, story_id])
        self.db.execute(
            "insert into story_merges (story_id, into_story, article_id, at) values (?, ?, ?, ?)",
            [story_id, into, article_id, at],
        )

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
        sql = (
            "select * from story_articles where (minhash is not null or evidence is not null)"
            f" and article_id in ({marks})"
        )
        return list(self.db.query(sql, list(article_ids)))

    def _add_member(
        self,
        article_id: int,
        story_id: str,
        source: str,
        at: int,
        language: str | None,
        sig: Signature | None,
        facts: Evidence | None,
        joined: dict | None,
    ) -> None:
        values = minhash.to_bytes(sig.minhash) if sig and sig.minhash is not None else None
        self.db.execute(
            "insert into story_articles (article_id, story_id, source, at, language, minhash, evidence, joined)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                article_id,
                story_id,
                source,
                at,
                language,
                values,
                json.dumps(facts.to_json(), ensure_ascii=False) if facts else None,
                json.dumps(joined, ensure_ascii=False) if joined else None,
            ],
        )
        self.db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])

    def _stories_of(self, article_ids: set[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        ids = list(article_ids)
        for i in range(0, len(ids), MAX_TERMS):
            chunk = ids[i : i + MAX_TERMS]
            marks = ",".join("?" * len(chunk))
            sql = f"select article_id, story_id from story_articles where article_id in ({marks})"
            found.update(self.db.execute(sql, chunk).fetchall())
        return found

    def _story_of(self, article_id: int) -> str | None:
        row = self.db.execute("select story_id from story_articles where article_id = ?", [article_id]).fetchone()
        return row[0] if row else None

    def _assignment(self, story_id: str, is_new: bool, evidence: dict | None = None) -> StoryAssignment:
        (count,) = self.db.execute("select count(*) from story_articles where story_id = ?", [story_id]).fetchone()
        return StoryAssignment(story_id, is_new, count, tuple(story_outlets(self.db, story_id)), evidence or {})


def _shared_phrases(hits: list[tuple[int, int, int]], stories: dict[int, str], at: int, window: float) -> Counter[int]:
    """How many phrases each article of the window shares with the new one; stock phrases left out.

    A phrase is stock when many articles hold it, or articles of two stories: outlets reuse background
    sentences ("...signed a treaty with a mutual defence clause in June 2024") across reports."""
    per_key: dict[int, set[str]] = {}
    for key, article_id, _ in hits:
        per_key.setdefault(key, set()).add(stories.get(article_id, ""))
    held = Counter(key for key, _, _ in hits)
    return Counter(
        article_id
        for key, article_id, seen in hits
        if held[key] <= COMMON_PHRASE and len(per_key[key]) == 1 and abs(seen - at) <= window
    )


def _stock_keys(keyed: list[tuple[int, int]], stories: dict[int, str]) -> set[int]:
    """Evidence keys that articles of STOCK_STORIES stories or more hold: a figure or name every report of
    the week repeats (an estimate of the troops sent so far, the place they fight) tells none of them apart."""
    per_key: dict[int, set[str]] = {}
    for key, article_id in keyed:
        per_key.setdefault(key, set()).add(stories.get(article_id, ""))
    return {key for key, held in per_key.items() if len(held) >= STOCK_STORIES}


def _key_hash(key: str) -> int:
    """An evidence key as a signed 64-bit integer, beside the band keys and phrase fingerprints."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True)


def _seconds(published: datetime | None) -> int:
    return int((published or utcnow()).timestamp())


def _new_story_id(article_id: int) -> str:
    return f"story-{article_id}"
