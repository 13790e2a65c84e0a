"""A time limit on CPU-bound work in the main thread of a process, by SIGALRM.

trafilatura spends tens of seconds on some pages (40,000 linked paragraphs: 21 s); a limit that fires in
the middle of that work is the only way to get the worker, or the crawl's reactor, back.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Not an Exception: the libraries under the limit catch Exception and would carry on."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after `seconds`; no limit off the main thread or for 0."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
