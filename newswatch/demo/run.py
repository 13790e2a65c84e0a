"""`newswatch demo`: the whole pipeline on the bundled sample site, with local mail and webhook receivers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Callable

from newswatch.config import load_config
from newswatch.demo.receivers import SmtpSink, WebhookReceiver, alerts_toml
from newswatch.demo.server import SiteServer
from newswatch.storage import Storage
from newswatch.stories.listing import list_stories

SECRET_ENV = "NEWSWATCH_DEMO_WEBHOOK_SECRET"


def demo_sources(base: str) -> str:
    """The four sample outlets, one per kind of source: RSS, Atom, sitemap index, section page."""
    return f"""
[[sources]]
name = "northwire"
feeds = ["{base}/northwire/feed.rss"]

[[sources]]
name = "globalpost"
feeds = ["{base}/globalpost/feed.atom"]

[[sources]]
name = "eurodaily"
sitemaps = ["{base}/eurodaily/sitemap.xml"]

[[sources]]
name = "asiatimes"
pages = ["{base}/asiatimes/world/", "{base}/asiatimes/tag/north-korea/"]
follow = "/asiatimes/(news|private|amp)/"
"""


def demo_config(workdir: Path, site: SiteServer, smtp: SmtpSink, webhook: WebhookReceiver) -> Path:
    path = workdir / "config.toml"
    path.write_text(
        '[storage]\ndatabase = "newswatch.db"\n\n'
        '[crawl]\nuser_agent = "newswatch-demo/0.1 (+http://127.0.0.1/)"\ndownload_delay = 0\nautothrottle = false\n'
        + demo_sources(site.base_url)
        + "\n"
        + alerts_toml(smtp, webhook, secret_env=SECRET_ENV),
        encoding="utf-8",
    )
    return path


def run_demo(workdir: Path, echo: Callable[[str], None]) -> int:
    """Serve the site, crawl it twice (the second run fetches nothing new), and show what arrived."""
    secret = secrets.token_hex(16)
    os.environ[SECRET_ENV] = secret  # the crawl subprocesses inherit it, as a real deployment's would
    with SiteServer() as site, SmtpSink() as smtp, WebhookReceiver(secret=secret) as webhook:
        config_path = demo_config(workdir, site, smtp, webhook)
        echo(f"Sample news site:  {site.base_url}/  (4 outlets: RSS, Atom, sitemap index, section page)")
        echo(f"Mail receiver:     smtp://{smtp.host}:{smtp.port}   Webhook receiver: {webhook.url}")
        echo(f"Config and data:   {workdir}\n")
        echo("== First crawl ==")
        first = _crawl(config_path)
        if first != 0:
            return first
        article_hits = site.hit_count("/") - _listing_hits(site)
        echo("\n== Second crawl: nothing new, so no article page is fetched again ==")
        site.reset_hits()
        second = _crawl(config_path)
        echo(f"article pages fetched: first crawl {article_hits}, second crawl {site.hit_count('/') - _listing_hits(site)}")
        _show_results(config_path, echo)
        emails, hooks = smtp.messages, webhook.requests
        echo(f"\n== Alerts received: {len(emails)} email(s), {len(hooks)} webhook call(s) ==")
        for message in emails:
            echo(f"  email    {message['Subject']}")
        for request in hooks:
            verified = "signature ok" if webhook.verify(request) else "BAD SIGNATURE"
            body = request.json or {}
            echo(f"  webhook  {body.get('event')}  {body.get('title')}  ({verified})")
        return second


def _listing_hits(site: SiteServer) -> int:
    return sum(n for path, n in site.hits.items() if path.endswith(("/", ".rss", ".atom", ".xml", ".txt")))


def _crawl(config_path: Path) -> int:
    return subprocess.run([sys.executable, "-m", "newswatch", "crawl", "--config", str(config_path)]).returncode


def _show_results(config_path: Path, echo: Callable[[str], None]) -> None:
    config = load_config(config_path)
    storage = Storage(config.storage.database)
    try:
        rows = list(storage.iter_articles())
        echo(f"\n== {len(rows)} articles stored; flagged by the rules: ==")
        for row in rows:
            if row["categories"]:
                echo(f"  [{', '.join(row['categories'])}] {row['title']}  ({row['source']})")
        flagged = {row["story_id"] for row in rows if row["categories"]}
        echo("\n== Stories of the flagged articles (one alert per story) ==")
        for story in list_stories(storage.db):
            if story.story_id in flagged:
                echo(f"  {story.articles} article(s) from {', '.join(story.outlets)}: {story.title}")
    finally:
        storage.close()
