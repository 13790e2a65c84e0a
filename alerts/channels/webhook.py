"""Webhooks: an HTTP POST of JSON (generic, Slack or Discord), signed with HMAC-SHA256 when a secret is set."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request

from alerts import render
from alerts.channels import DeliveryError, network_error
from alerts.config import WebhookConfig
from alerts.digest import Digest
from newswatch.models import Alert
from newswatch.retryafter import retry_after_seconds

USER_AGENT = "newswatch-alerts/0.1"


def sign(secret: str, body: bytes) -> str:
    """The X-Newswatch-Signature value for `body`: "sha256=" and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend a redirected POST as a GET without its body; report the redirect instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class WebhookChannel:
    def __init__(self, config: WebhookConfig):
        self.config = config

    def send_alert(self, alert: Alert) -> str:
        return self._post(render.alert_payload(alert, self.config.format), alert.id, alert.event)

    def send_digest(self, digest: Digest) -> str:
        return self._post(render.digest_payload(digest, self.config.format), digest.id, "digest")

    def _post(self, payload: dict, message_id: str, event: str) -> str:
        c = self.config
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Newswatch-Id": message_id,
            "X-Newswatch-Event": event,
        }
        if c.secret:
            headers["X-Newswatch-Signature"] = sign(c.secret, body)
        request = urllib.request.Request(c.url, data=body, headers=headers, method="POST")
        try:
            with _opener.open(request, timeout=c.timeout) as response:
                return f"HTTP {response.status} from {c.target}"
        except urllib.error.HTTPError as exc:
            raise self._status_error(exc) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, OSError):
                raise network_error(exc.reason, c.target, c.timeout) from None
            raise DeliveryError(f"{c.target}: {exc.reason}", retryable=True) from None
        except OSError as exc:
            raise network_error(exc, c.target, c.timeout) from None
        except http.client.HTTPException as exc:
            raise DeliveryError(f"invalid HTTP response from {c.target}: {exc!r}", retryable=True) from None

    def _status_error(self, exc: urllib.error.HTTPError) -> DeliveryError:
        """429 and 5xx are temporary (Retry-After honoured); other 4xx and redirects are permanent."""
        status = f"HTTP {exc.code} {exc.reason} from {self.config.target}"
        if 300 <= exc.code < 400:
            return DeliveryError(f"{status}: redirected; set url to the final address", retryable=False)
        try:
            excerpt = render.truncate(render.one_line(exc.read(2000).decode("utf-8", "replace")), 200)
        except (OSError, http.client.HTTPException):
            excerpt = ""
        message = f"{status}: {excerpt}" if excerpt else status
        retryable = exc.code == 429 or exc.code >= 500
        return DeliveryError(message, retryable=retryable, retry_after=retry_after_seconds(exc.headers.get("Retry-After")))

