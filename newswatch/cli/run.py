"""`newswatch run`: the daemon, with its log set up so secrets never reach it."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Mapping

import click

from newswatch.cli.common import config_option, load, log_level_option, main
from newswatch.config import Config
from newswatch.errors import NewswatchError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Environment variables with these words in their names hold secrets (SMTP passwords, webhook tokens).
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|WEBHOOK|CREDENTIAL|AUTH", re.IGNORECASE)
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


@main.command()
@config_option
@log_level_option("INFO", "Least important messages to log.")
@click.option("--log-file", metavar="PATH", default=None, help="Append the log to this file instead of stderr.")
def run(config_path: str | None, log_level: str, log_file: str | None) -> None:
    """Crawl every enabled source on its schedule and deliver alerts until stopped.

    Each source is crawled every `every` (or on its `cron` expression) by one
    long-lived crawl engine process that the daemon watches and restarts; failed
    deliveries are retried and digests sent on time. SIGTERM or Ctrl-C stops it
    within [daemon] shutdown_timeout.

    \b
    Example:
      newswatch run --config config.toml --log-file newswatch.log
    """
    config = load(config_path)
    configure_logging(log_level.upper(), log_file, secret_values(config, os.environ))
    from scheduler import Daemon

    # The engine's own log (Scrapy's) is warnings and errors unless the daemon's is DEBUG.
    engine_level = "DEBUG" if log_level.upper() == "DEBUG" else "WARNING"
    if not Daemon(config, engine_level).run():
        # Threads still busy at the shutdown deadline are abandoned; what they committed is kept.
        logging.shutdown()
        os._exit(0)


@main.command(hidden=True)
@config_option
@log_level_option("WARNING", "Scrapy's log level.")
def engine(config_path: str | None, log_level: str) -> None:
    """The daemon's long-lived crawl engine; `newswatch run` starts and watches it.

    It crawls the source runs the daemon queues in the database and reports on
    stdout; it is not meant to be started by hand.

    \b
    Example (what the daemon runs):
      newswatch engine --config config.toml
    """
    from crawler.engine import Engine

    Engine(load(config_path), log_level.upper()).run()


def configure_logging(level: str, log_file: str | None, secrets: list[str]) -> None:
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    except OSError as exc:
        raise NewswatchError(f"--log-file {log_file}: cannot open: {exc}") from None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job start at INFO and each skipped overlapping run as a warning;
    # the daemon says both in its own words, once per crawl.
    logging.getLogger("apscheduler").setLevel(max(logging.ERROR, root.level))


def secret_values(config: Config, environ: Mapping[str, str]) -> list[str]:
    """The channels' passwords, signing secrets and URLs, and environment values named like secrets; longest first."""
    values = {v for k, v in environ.items() if SECRET_NAME.search(k)}
    for channel in config.alerts.channels:
        values.update(getattr(channel, name, None) or "" for name in ("password", "secret", "url"))
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Replaces secret values in every record (message, arguments and traceback) with ***."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
                record.exc_info, record.exc_text = None, None
            for secret in self.secrets:
                text = text.replace(secret, "***")
            record.msg, record.args = text, None
        return True
