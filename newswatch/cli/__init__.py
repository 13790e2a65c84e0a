"""The `newswatch` command: a thin click layer over the library; errors become one line."""

from newswatch.cli import alerts, crawl, demo, export, rules, run, sources, status, stories  # noqa: F401  (registers commands)
from newswatch.cli.common import main

__all__ = ["main", "run_main"]


def run_main() -> None:
    main(prog_name="newswatch")
