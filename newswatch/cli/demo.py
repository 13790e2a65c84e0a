"""`newswatch demo`: see newswatch work offline."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from newswatch.cli.common import main


@main.command()
@click.option("--keep", metavar="DIR", type=click.Path(file_okay=False), help="Keep config and database in DIR.")
def demo(keep: str | None) -> None:
    """Run the whole pipeline on a bundled sample news site, offline.

    Serves four sample outlets on 127.0.0.1, starts a local mail server and
    webhook receiver, crawls twice and shows the stored articles, the rule
    matches, the stories and the alerts that arrived.

    \b
    Example:
      newswatch demo --keep ./demo-data
    """
    from newswatch.demo.run import run_demo

    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        status = run_demo(Path(keep).resolve(), click.echo)
    else:
        with tempfile.TemporaryDirectory(prefix="newswatch-demo-") as tmp:
            status = run_demo(Path(tmp), click.echo)
    raise SystemExit(status)
