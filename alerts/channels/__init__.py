"""Channels send one alert or digest to one service; a failure says whether a retry can help."""

from __future__ import annotations

import socket
import ssl
from typing import Protocol

from alerts.config import AppriseConfig, ChannelConfig, EmailConfig, WebhookConfig
from alerts.digest import Digest
from newswatch.models import Alert


class DeliveryError(Exception):
    """A send that did not get through; the message names the cause and is safe to store."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the service asked us to wait


class Channel(Protocol):
    config: ChannelConfig

    def send_alert(self, alert: Alert) -> str:
        """Send one alert; returns a short receipt such as "HTTP 200"; raises DeliveryError."""

    def send_digest(self, digest: Digest) -> str:
        """Send several alerts as one message; returns a receipt; raises DeliveryError."""


def build(config: ChannelConfig) -> Channel:
    """The sender for a configured channel."""
    if isinstance(config, EmailConfig):
        from alerts.channels.email import EmailChannel

        return EmailChannel(config)
    if isinstance(config, WebhookConfig):
        from alerts.channels.webhook import WebhookChannel

        return WebhookChannel(config)
    if isinstance(config, AppriseConfig):
        from alerts.channels.apprise import AppriseChannel  # imports the optional package

        return AppriseChannel(config)
    raise TypeError(f"no channel for {type(config).__name__}")


def network_error(exc: OSError, target: str, timeout: float) -> DeliveryError:
    """A DeliveryError naming what went wrong on the way to `target`: DNS, refused, timeout or TLS."""
    if isinstance(exc, socket.gaierror):
        host = target.rpartition("//")[2].rsplit(":", 1)[0]
        message = f"cannot resolve host {host}: {exc.strerror or exc}"
    elif isinstance(exc, ConnectionRefusedError):
        message = f"connection refused by {target}"
    elif isinstance(exc, TimeoutError):
        message = f"no answer from {target} within {timeout:g}s"
    elif isinstance(exc, ssl.SSLError):
        message = f"TLS failed with {target}: {exc.reason or exc}"
    else:
        message = f"network error with {target}: {exc}"
    return DeliveryError(message, retryable=True)
