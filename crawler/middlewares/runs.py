"""Drops the queued requests of a source run that has ended (it ran out of time), before they are sent."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request


class EndedRunMiddleware:
    """A run's time limit must bound its requests too: those still queued are not downloaded."""

    def process_request(self, request: Request) -> None:
        run = request.meta.get("run")
        if run is not None and run.ended:
            raise IgnoreRequest(f"the run of {run.name} has ended ({run.ended})")
