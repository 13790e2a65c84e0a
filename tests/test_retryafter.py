"""Retry-After values, as servers send them."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from newswatch.models import utcnow
from newswatch.retryafter import retry_after_seconds


def test_delta_seconds_and_http_dates():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(b" 3 ") == 3
    in_a_minute = format_datetime(utcnow() + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(in_a_minute) <= 60
    assert retry_after_seconds(format_datetime(utcnow() - timedelta(hours=1), usegmt=True)) == 0


def test_absent_or_invalid_values():
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds("soon") is None
