"""The Retry-After header, read the same way by the crawler and by the webhook channel."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from newswatch.models import utcnow


def retry_after_seconds(value: str | bytes | None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); None if absent or invalid."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(text) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
