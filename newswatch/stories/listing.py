"""The read side of stories: which outlets carried a story ("also reported by"), and the list of stories."""

from __future__ import annotations

from dataclasses import dataclass
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
