"""Short, countable names for the ways a request can fail."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


class BlockedRequest(IgnoreRequest):
    """A request newswatch refuses to send; `reason` is what the run counts it as."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadCancelledError, "too-large"),  # DOWNLOAD_MAXSIZE cancels the download
    (CannotResolveHostError, "dns"),
    (DownloadConnectionRefusedError, "connection-refused"),
    (DownloadTimeoutError, "timeout"),
    (ResponseDataLossError, "data-loss"),
    (DownloadFailedError, "connection-lost"),
)
SKIPS = {"robots.txt", "bad-link", "private-address"}  # not the source's fault: counted as skipped
TRANSIENT = {
    "timeout",
    "connection-refused",
    "connection-lost",
    "data-loss",
    "dns",
    "http-429",
    "extraction-failed",
    "store-failed",
}


def classify_failure(failure: Failure) -> str:
    """A reason such as "http-404", "timeout", "dns", "too-large", "redirect-loop", "robots.txt" or "bad-link"."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http-{exc.response.status}"
    if isinstance(exc, BlockedRequest):
        return exc.reason
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "robots.txt"
        return "redirect-loop" if "redirect" in text else "ignored"
    for kind, reason in REASONS:
        if isinstance(exc, kind):
            return reason
    return type(exc).__name__


def is_transient(reason: str) -> bool:
    """Worth trying again in a later crawl: network trouble, rate limits and server errors."""
    return reason in TRANSIENT or reason.startswith("http-5")
