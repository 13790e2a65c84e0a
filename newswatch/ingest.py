"""Deduplicate, match and store one extracted article, and its alert, in one transaction.

This is the library core behind the crawl pipeline: no Scrapy here, so tests, `rescan` and
benchmarks can drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts import events, outbox
from newswatch.config import Config
from newswatch.models import Alert, Article, Match
from newswatch.rules.engine import Matcher
from newswatch.storage import Storage
from newswatch.stories.index import StoryIndex
from newswatch.stories.signatures import content_hash
from newswatch.urls import identity_variants


@dataclass(frozen=True)
class Outcome:
    article_id: int
    duplicate_of: int | None = None
    story_id: str | None = None
    matches: tuple[Match, ...] = ()
    alert: Alert | None = None

    @property
    def is_new(self) -> bool:
        return self.duplicate_of is None


class Ingestor:
    """Turns extracted articles into stored rows, matches and outbox alerts."""

    def __init__(self, config: Config, storage: Storage):
        self.config = config
        self.storage = storage
        self.matcher = Matcher(config.rules)
        self.stories = StoryIndex(storage.db, config.stories)
        outbox.ensure_schema(storage.db)

    def ingest(self, article: Article, aliases: tuple[str, ...] = ()) -> Outcome:
        """Store `article` (or record it as a copy of one already stored); `aliases` are URLs that redirected to it."""
        digest = content_hash(article.text)
        store = self.storage
        with store.transaction():
            same_url = store.article_id_for(url=article.url)
            if same_url is not None:
                self._remember(article, aliases, same_url)
                return Outcome(same_url, duplicate_of=same_url)
            original = self._same_article(article.canonical_url) or store.article_by_hash(digest)
            article_id = store.insert_article(article, content_hash=digest, duplicate_of=original)
            self._remember(article, aliases, article_id)
            if original is not None:
                copy = self.stories.add_copy(article_id, original, article.source, article.published or article.fetched)
                return Outcome(article_id, duplicate_of=original, story_id=copy.story_id)
            story = self.stories.assign(
                article_id,
                article.text,
                article.language,
                article.published or article.fetched,
                article.source,
                title=article.title,
            )
            matches = tuple(self.matcher.match(article.title, article.text))
            store.save_matches(article_id, list(matches))
            alert = None
            if matches:
                candidate = events.article_matched(article_id, article, list(matches), story_id=story.story_id)
                # The outbox applies the alert policy: with per = "story", a story is announced once,
                # and a further outlet's retelling becomes a story.updated event for channels that want it.
                if outbox.enqueue(store.db, candidate, self.config.alerts):
                    alert = candidate
                elif not story.is_new:
                    update = events.story_updated(
                        story.story_id,
                        article_id,
                        article,
                        list(matches),
                        also_reported_by=story.outlets,
                        evidence=story.evidence,
                    )
                    outbox.enqueue(store.db, update, self.config.alerts)
        return Outcome(article_id, story_id=story.story_id, matches=matches, alert=alert)

    def _same_article(self, canonical_url: str) -> int | None:
        """An original stored under any spelling of this URL: AMP, mobile, with or without www."""
        for url in identity_variants(canonical_url):
            found = self.storage.article_id_for(url=url, canonical_url=url)
            if found is not None:
                return found
        return None

    def _remember(self, article: Article, aliases: tuple[str, ...], article_id: int) -> None:
        self.storage.remember_url(article.url, "article", article.source, 200, article_id=article_id)
        for url in aliases:
            if url != article.url:
                self.storage.remember_url(url, "redirect", article.source, article_id=article_id)
