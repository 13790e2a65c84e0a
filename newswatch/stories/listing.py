"""The read side of stories: which outlets carried a story ("also reported by"), the list of stories, and
one story's articles with the evidence that joined each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlite_utils


@dataclass(frozen=True)
class StorySummary:
    """One story as `newswatch stories` shows it; `title` is its first article's."""

    story_id: str
    title: str
    first: datetime
    last: datetime
    articles: int
    outlets: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "story_id": self.story_id,
            "title": self.title,
            "first": self.first.isoformat(timespec="seconds"),
            "last": self.last.isoformat(timespec="seconds"),
            "articles": self.articles,
            "outlets": list(self.outlets),
        }


@dataclass(frozen=True)
class StoryMember:
    """One article of a story, and why it joined (empty `evidence` for the article that started it)."""

    article_id: int
    source: str
    title: str
    url: str
    at: datetime
    language: str | None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "at": self.at.isoformat(timespec="seconds"),
            "language": self.language,
            "evidence": self.evidence,
        }


def story_members(db: sqlite_utils.Database, story_id: str) -> list[StoryMember]:
    """The articles of a story in the order they arrived; empty when there is no such story."""
    rows = db.execute(
        """
        select s.article_id, s.source, a.title, a.url, s.at, s.language, s.joined
        from story_articles s join articles a on a.id = s.article_id
        where s.story_id = ? order by s.at, s.article_id
        """,
        [story_id],
    ).fetchall()
    return [
        StoryMember(article_id, source, title or "", url, _utc(at), language, json.loads(joined) if joined else {})
        for article_id, source, title, url, at, language, joined in rows
    ]


def merged_into(db: sqlite_utils.Database, story_id: str) -> str | None:
    """The story a merged-away story now lives in, following later merges too."""
    seen = {story_id}
    while row := db.execute("select into_story from story_merges where story_id = ?", [story_id]).fetchone():
        story_id = row[0]
        if story_id in seen:
            break
        seen.add(story_id)
    return story_id if len(seen) > 1 else None


def story_outlets(db: sqlite_utils.Database, story_id: str) -> list[str]:
    """The sources that carried this story, in the order they first did."""
    rows = db.execute(
        "select source from story_articles where story_id = ? group by source order by min(at), min(article_id)",
        [story_id],
    )
    return [source for (source,) in rows]


def list_stories(db: sqlite_utils.Database, since: datetime | None = None) -> list[StorySummary]:
    """Stories with an article at or after `since`, latest first; the tables must exist (StoryIndex creates them)."""
    rows = db.execute(
        """
        select s.story_id, count(*), min(s.at), max(s.at),
          (select a.title from story_articles f join articles a on a.id = f.article_id
           where f.story_id = s.story_id order by f.at, f.article_id limit 1)
        from story_articles s
        group by s.story_id
        having max(s.at) >= ?
        order by max(s.at) desc, s.story_id
        """,
        [int(since.timestamp()) if since else 0],
    ).fetchall()
    return [
        StorySummary(
            story_id=story_id,
            title=title or "",
            first=_utc(first),
            last=_utc(last),
            articles=count,
            outlets=tuple(story_outlets(db, story_id)),
        )
        for story_id, count, first, last, title in rows
    ]


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
