"""Shared fixtures: a real HTTP site on 127.0.0.1, config files in tmp_path, the CLI as a subprocess."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newswatch.demo.server import SiteServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def site():
    """An empty local site; tests add pages with `site.put(path, body)`."""
    with SiteServer(root=None) as server:
        yield server


@pytest.fixture
def demo_site():
    """The bundled demo news site."""
    with SiteServer() as server:
        yield server


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CRAWL_DEFAULTS = """
[storage]
database = "data/newswatch.db"

[crawl]
user_agent = "newswatch-tests/0.1 (+http://127.0.0.1/)"
download_delay = 0
autothrottle = false
max_concurrency_per_domain = 4
timeout = "5s"
retries = 1
"""


def write_config(tmp_path: Path, body: str, defaults: str = CRAWL_DEFAULTS) -> Path:
    """A config.toml in tmp_path: the test defaults followed by `body` (sources, rules, alerts…)."""
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(defaults) + "\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m newswatch ARGS` as a real subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "newswatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=REPO,
    )


def crawl(config: Path, *extra: str) -> subprocess.CompletedProcess:
    result = run_cli("crawl", "--config", str(config), "--quiet", *extra)
    assert result.returncode in (0, 1), result.stderr
    return result


def query(config: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows from the test database, read with a plain sqlite3 connection."""
    conn = sqlite3.connect(config.parent / "data" / "newswatch.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
