"""Any service Apprise knows (Telegram, Matrix, Teams, ntfy…) through one Apprise URL.

Needs the optional package: pip install 'newswatch[apprise]'. Apprise reports success or
failure only, so every failure is treated as temporary and retried.
"""

from __future__ import annotations

import logging

import apprise

from alerts import render
from alerts.channels import DeliveryError
from alerts.config import AppriseConfig
from alerts.digest import Digest
from newswatch.models import Alert


class AppriseChannel:
    def __init__(self, config: AppriseConfig):
        self.config = config
        self._apprise = apprise.Apprise()
        self._apprise.add(config.url)

    def send_alert(self, alert: Alert) -> str:
        return self._notify(render.subject(alert), render.alert_text(alert))

    def send_digest(self, digest: Digest) -> str:
        return self._notify(render.digest_subject(digest), render.digest_text(digest))

    def _notify(self, title: str, body: str) -> str:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
            sent = self._apprise.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        if not sent:
            reason = render.truncate(render.one_line(log.getvalue()), 300) or "Apprise reported a failure"
            raise DeliveryError(f"{self.config.target}: {reason}", retryable=True)
        return f"sent through {self.config.target}"
