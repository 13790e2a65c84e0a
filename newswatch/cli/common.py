"""The command group and what every command shares: --config, and errors printed as one line."""

from __future__ import annotations

import sys
from typing import Any

import click

from newswatch.config import Config, load_config
from newswatch.errors import ConfigError, NewswatchError, UsageError

config_option = click.option(
    "--config",
    "config_path",
    metavar="PATH",
    default=None,
    help="Config file (default: $NEWSWATCH_CONFIG, then ./config.toml).",
)


def log_level_option(default: str, help: str):
    """--log-level, with the same choices everywhere."""
    return click.option(
        "--log-level",
        type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
        default=default,
        show_default=True,
        help=help,
    )


class Group(click.Group):
    """Turns library errors into one clear line: exit 2 for config and usage errors, 1 for the rest."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"newswatch: config error: {exc}", err=True)
            sys.exit(2)
        except UsageError as exc:
            click.echo(f"newswatch: error: {exc}", err=True)
            sys.exit(2)
        except NewswatchError as exc:
            click.echo(f"newswatch: error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswatch")
def main() -> None:
    """Watch news sources, flag articles that match keyword rules, and send alerts.

    \b
    Example:
      newswatch demo                  # see it work offline
      newswatch crawl --config config.toml
    """


def load(config_path: str | None) -> Config:
    return load_config(config_path)
