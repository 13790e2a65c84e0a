"""Monitoring the monitor: Prometheus metrics read from the database at scrape time, and GET /healthz.

Crawls run in subprocesses, so their counts live in the database rather than in this process;
a custom collector turns the stored crawl history into metrics on every scrape.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import sqlite_utils
from prometheus_client import CollectorRegistry, ProcessCollector, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer

from alerts import outbox
from newswatch.config import Config
from newswatch.daemon.state import reading
from newswatch.errors import NewswatchError
from newswatch.daemon.health import source_histories

HealthCheck = Callable[[], "str | None"]  # why the daemon is unhealthy, or None


class StoredMetrics:
    """A Prometheus collector over the crawl history, matches and the alert outbox."""

    def __init__(self, database: Path, sources: list[str]):
        self.database = database
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        if not self.database.exists():
            return
        with reading(self.database) as db:
            yield from self._collect(db)

    def _collect(self, db: sqlite_utils.Database) -> Iterator[Metric]:
        tables = set(db.table_names())
        crawls = CounterMetricFamily("newswatch_crawls", "Crawl runs per source", labels=["source", "outcome"])
        fetched = CounterMetricFamily("newswatch_pages_fetched", "Pages fetched per source", labels=["source"])
        new = CounterMetricFamily("newswatch_new_articles", "New articles stored per source", labels=["source"])
        if "source_runs" in tables:
            for row in db.query(
                "select source, total(ok) as ok, total(1 - ok) as failed, total(ok is null) as stopped,"
                " sum(fetched) as fetched, sum(new_articles) as new from source_runs group by source"
            ):
                crawls.add_metric([row["source"], "ok"], row["ok"])
                crawls.add_metric([row["source"], "failed"], row["failed"])
                crawls.add_metric([row["source"], "stopped"], row["stopped"])
                fetched.add_metric([row["source"]], row["fetched"] or 0)
                new.add_metric([row["source"]], row["new"] or 0)
        yield from (crawls, fetched, new)

        matches = CounterMetricFamily("newswatch_matches", "Rule matches per category", labels=["category"])
        if "matches" in tables:
            for row in db.query("select category, count(*) as n from matches group by category"):
                matches.add_metric([row["category"]], row["n"])
        yield matches

        alerts = GaugeMetricFamily("newswatch_alerts", "Alert deliveries by status", labels=["status"])
        for status, count in outbox.status_counts(db).items():
            alerts.add_metric([status], count)
        yield alerts

        last_success = GaugeMetricFamily(
            "newswatch_source_last_success_timestamp_seconds",
            "When a source was last crawled successfully",
            labels=["source"],
        )
        failures = GaugeMetricFamily(
            "newswatch_source_consecutive_failures",
            "Failed crawl runs of a source since its last success",
            labels=["source"],
        )
        for name, history in source_histories(db, self.sources).items():
            if history.last_success:
                last_success.add_metric([name], history.last_success.timestamp())
            failures.add_metric([name], history.failures)
        yield from (last_success, failures)


class MetricsServer:
    """Serves /metrics and /healthz on [daemon] metrics_host:metrics_port from a background thread."""

    def __init__(self, config: Config, health: HealthCheck):
        self.config_path = config.path
        self.host = config.daemon.metrics_host
        self.port = config.daemon.metrics_port or 0
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StoredMetrics(config.storage.database, [s.name for s in config.sources]))
        ProcessCollector(registry=self.registry)
        self.health = health
        self._metrics = make_wsgi_app(self.registry)
        self._server: ThreadingWSGIServer | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        server_class = _IPv6Server if ":" in self.host else ThreadingWSGIServer
        try:
            self._server = make_server(self.host, self.port, self._app, server_class, handler_class=_QuietHandler)
        except OSError as exc:
            where = f"{self.config_path}: daemon.metrics_port"
            raise NewswatchError(f"{where}: cannot listen on {self.host}:{self.port}: {exc}") from None
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _app(self, environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            problem = self.health()
            body = json.dumps({"status": "ok"} if problem is None else {"status": "failing", "problem": problem})
            start_response(
                "200 OK" if problem is None else "503 Service Unavailable", [("Content-Type", "application/json")]
            )
            return [body.encode()]
        return self._metrics(environ, start_response)


class _IPv6Server(ThreadingWSGIServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the daemon's log."""
