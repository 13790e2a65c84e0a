"""`newswatch alerts` commands: test a channel, list, deliver and retry alerts."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Iterator

import click
from sqlite_utils import Database

from alerts import events, outbox
from alerts.channels import DeliveryError, build
from alerts.delivery import DeliveryReport, Dispatcher
from newswatch.cli.common import config_option, load, main
from newswatch.config import Config
from newswatch.errors import NewswatchError
from newswatch.storage import Storage

@main.group()
def alerts() -> None:
    """Test alert channels, and list, deliver or retry alerts.

    \b
    Example:
      newswatch alerts test --channel ops
      newswatch alerts list --status failed
    """


@alerts.command("test")
@config_option
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel (default: every channel).")
def test_command(config_path: str | None, channel_name: str | None) -> None:
    """Send a test alert now and report success or the exact failure.

    \b
    Example:
      newswatch alerts test --config config.toml --channel email
    """
    config = load(config_path)
    channels = [config.alerts.channel(channel_name)] if channel_name else list(config.alerts.channels)
    if not channels:
        raise NewswatchError(f"{config.path}: no alert channels configured (see [alerts.email] and [[alerts.webhook]])")
    alert = events.test_alert()
    failures = 0
    for channel in channels:
        try:
            receipt = build(channel).send_alert(alert)
        except DeliveryError as exc:
            failures += 1
            click.echo(f"{channel.name}: FAILED: {exc}")
        else:
            click.echo(f"{channel.name}: ok: {receipt}")
    if failures:
        sys.exit(1)


@alerts.command("list")
@config_option
@click.option("--status", type=click.Choice(outbox.STATUSES), help="Only deliveries in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many, newest first.")
def list_command(config_path: str | None, status: str | None, limit: int) -> None:
    """List alert deliveries, newest first: one line per alert and channel.

    \b
    Example:
      newswatch alerts list --status failed
    """
    with _database(load(config_path)) as db:
        rows = outbox.listing(db, status, limit)
    if not rows:
        click.echo("no alerts" + (f" with status {status}" if status else ""))
        return
    click.echo(f"{'ALERT':<12}  {'CHANNEL':<12}  {'STATUS':<7}  TRIES  {'CREATED (UTC)':<16}  TITLE")
    for row in rows:
        click.echo(
            f"{row['alert_id'][:12]:<12}  {row['channel'][:12]:<12}  {row['status']:<7}  {row['attempts']:>5}  "
            f"{row['created'][:16].replace('T', ' '):<16}  {' '.join(row['title'].split())[:60]}"
        )
        if row["last_error"] and row["status"] != "sent":
            click.echo(f"{'':>14}↳ {row['last_error']}")


@alerts.command("deliver")
@config_option
def deliver_command(config_path: str | None) -> None:
    """Deliver every alert that is due now (the daemon does this by itself), then exit.

    \b
    Example:
      newswatch alerts deliver --config config.toml
    """
    _deliver(load(config_path))


@alerts.command("retry")
@config_option
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel's failed alerts.")
def retry_command(config_path: str | None, channel_name: str | None) -> None:
    """Re-queue failed alerts with a fresh retry budget, and deliver them now.

    \b
    Example:
      newswatch alerts retry --channel ops
    """
    config = load(config_path)
    if channel_name:
        config.alerts.channel(channel_name)
    with _database(config) as db:
        count = outbox.requeue_failed(db, time.time(), channel_name)
    click.echo(f"re-queued {count} failed deliver{'y' if count == 1 else 'ies'}")
    if count:
        _deliver(config)


def _deliver(config: Config) -> None:
    dispatcher = Dispatcher(config)
    report: DeliveryReport = dispatcher.deliver_due()
    click.echo(f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}")
    for problem in report.problems:
        click.echo(f"  failed: {problem}")
    if report.failed:
        sys.exit(1)


@contextmanager
def _database(config: Config) -> Iterator[Database]:
    """The configured database with the outbox tables, closed on exit."""
    storage = Storage(config.storage.database)
    try:
        outbox.ensure_schema(storage.db)
        yield storage.db
    finally:
        storage.close()
