"""Local receivers for alerts on 127.0.0.1: an SMTP server and a webhook endpoint.

`newswatch demo` points its alert channels at them to show alerts end to end; the tests use
them as the real servers at the other end. Both record what arrives, thread-safely, can be
scripted to fail, and can be stopped and started again on the same port.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOLD_LIMIT = 60.0  # seconds a held response waits at most, so a forgotten release cannot hang a test run


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (aiosmtpd's Controller cannot report a port 0 binding)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class _Recorder:
    """A thread-safe list that a test can wait on."""

    def __init__(self, what: str):
        self.what = what
        self._items: list = []
        self._changed = threading.Condition()

    def add(self, item: Any) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def items(self) -> list:
        with self._changed:
            return list(self._items)

    def wait_for(self, n: int, timeout: float) -> list:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items) >= n, timeout):
                raise TimeoutError(f"expected {n} {self.what} within {timeout:g}s, got {len(self._items)}")
            return list(self._items)


# -- SMTP -------------------------------------------------------------------------


class SmtpSink:
    """An SMTP server (aiosmtpd) that keeps each message it accepts as a parsed EmailMessage.

    `users` ({name: password}) enables AUTH over plain connections; `replies` scripts the answers
    to the next messages, e.g. ["451 4.3.0 Try again later"]; after them every message is accepted.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        replies: Iterable[str] = (),
    ):
        self.host = host
        self.port = port or free_port(host)
        self.users = users
        self._replies = list(replies)
        self._lock = threading.Lock()
        self._received = _Recorder("emails")
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self._received.items()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages once at least `n` have arrived; TimeoutError otherwise."""
        return self._received.wait_for(n, timeout)

    def reply(self, *replies: str) -> None:
        """Script the answers to the next messages (e.g. "550 5.7.1 Rejected")."""
        with self._lock:
            self._replies += replies

    def start(self) -> SmtpSink:
        options: dict[str, Any] = {}
        if self.users is not None:
            options = dict(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(self, hostname=self.host, port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            answer = self._replies.pop(0) if self._replies else "250 Message accepted for delivery"
        if answer.startswith("250"):
            raw = envelope.original_content or envelope.content
            self._received.add(BytesParser(policy=policy.default).parsebytes(raw))
        return answer

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535


# -- Webhooks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b'{"ok": true}'


@dataclass(frozen=True)
class WebhookRequest:
    path: str
    headers: http.client.HTTPMessage  # case-insensitive .get()
    body: bytes
    json: Any  # the parsed body, or None if it is not JSON
    status: int  # what the receiver answered
    arrived: float  # time.time() on arrival, before any held response


class WebhookReceiver:
    """An HTTP endpoint (ThreadingHTTPServer) that records every POST and answers as scripted.

    `replies` are answered in order (an int is a status; a Reply can carry Retry-After), then 200.
    With `secret`, verify() checks X-Newswatch-Signature as a real receiver would.
    """

    def __init__(self, *, secret: str | None = None, replies: Iterable[int | Reply] = (), host: str = "127.0.0.1", port: int = 0):
        self.secret = secret
        self.host = host
        self.port = port
        self._replies = [r if isinstance(r, Reply) else Reply(r) for r in replies]
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self._received = _Recorder("webhook requests")
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    @property
    def requests(self) -> list[WebhookRequest]:
        return self._received.items()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[WebhookRequest]:
        """The requests once at least `n` have arrived; TimeoutError otherwise."""
        return self._received.wait_for(n, timeout)

    def reply(self, *replies: int | Reply) -> None:
        """Script the answers to the next requests."""
        with self._lock:
            self._replies += [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def hold(self) -> None:
        """Record requests but keep their responses back until release()."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def verify(self, request: WebhookRequest) -> bool:
        """Whether the request's X-Newswatch-Signature is the HMAC-SHA256 of its body with our secret."""
        if not self.secret:
            return False
        expected = "sha256=" + hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request.headers.get("X-Newswatch-Signature", ""))

    def start(self) -> WebhookReceiver:
        """Listen (again) on the receiver's port; the first start picks a free one."""
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=f"webhook-{self.port}", daemon=True)
        serve.start()  # a short poll interval makes stop() quick
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._released.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._lock:
            reply = self._replies.pop(0) if self._replies else Reply()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        self._received.add(WebhookRequest(handler.path, handler.headers, body, parsed, reply.status, time.time()))
        self._released.wait(HOLD_LIMIT)
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            pass  # the sender gave up or was killed while the response was held

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def alerts_toml(smtp: SmtpSink, webhook: WebhookReceiver, secret_env: str | None = None) -> str:
    """An [alerts] config section with an email channel and a JSON webhook pointed at these receivers."""
    secret = f'secret_env = "{secret_env}"\n' if secret_env else ""
    return (
        "[alerts.email]\n"
        f'smtp_host = "{smtp.host}"\n'
        f"smtp_port = {smtp.port}\n"
        'security = "none"\n'
        'from = "newswatch <alerts@newswatch.test>"\n'
        'to = ["analyst@newswatch.test"]\n'
        'timeout = "5s"\n\n'
        "[[alerts.webhook]]\n"
        'name = "webhook"\n'
        f'url = "{webhook.url}"\n'
        'format = "json"\n'
        'timeout = "5s"\n'
        f"{secret}"
    )
