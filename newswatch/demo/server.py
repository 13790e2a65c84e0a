"""A local news site on 127.0.0.1: serves a folder (and in-memory pages) with conditional GET.

Used by `newswatch demo` and by the tests as a real HTTP server; it counts hits per path so a
test can prove what was (not) fetched, and takes routes that misbehave on purpose.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

SITE = Path(__file__).parent / "site"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    modified: float  # seconds since the epoch


class SiteServer:
    """Serve `root` (default: the bundled demo site) plus pages and routes added at run time."""

    def __init__(self, root: Path | None = SITE, host: str = "127.0.0.1", port: int = 0):
        self.root = root
        self.pages: dict[str, Page] = {}
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "SiteServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "SiteServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def put(self, path: str, body: str | bytes, content_type: str | None = None, modified: float = 0.0) -> None:
        """Add or replace an in-memory page; `{{BASE}}` in it becomes this server's base URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        ctype = content_type or CONTENT_TYPES.get(Path(path).suffix, "text/html; charset=utf-8")
        with self._lock:
            self.pages[path] = Page(data, ctype, modified or time.time())

    def route(self, path: str, handler: Handler) -> None:
        """Answer `path` with `handler(request)`, for failures the tests provoke."""
        self.routes[path] = handler

    def hit_count(self, prefix: str = "/") -> int:
        with self._lock:
            return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()

    def _count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def lookup(self, path: str) -> Page | None:
        """The page served at `path` (with `{{BASE}}` filled in), or None."""
        with self._lock:
            page = self.pages.get(path)
        if page is not None:
            return Page(page.body.replace(b"{{BASE}}", self.base_url.encode()), page.content_type, page.modified)
        if self.root is None:
            return None
        file = (self.root / path.lstrip("/")).resolve()
        if path.endswith("/"):
            file = file / "index.html"
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return None
        body = file.read_bytes().replace(b"{{BASE}}", self.base_url.encode())
        return Page(body, CONTENT_TYPES.get(file.suffix, "application/octet-stream"), file.stat().st_mtime)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                server._count(path)
                if path in server.routes:
                    server.routes[path](self)
                    return
                page = server.lookup(path)
                if page is None:
                    self._send(404, b"not found", "text/plain")
                    return
                etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
                modified = email.utils.formatdate(page.modified, usegmt=True)
                if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == modified
                ):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, page.body, page.content_type, {"ETag": etag, "Last-Modified": modified})

            def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return RequestHandler
