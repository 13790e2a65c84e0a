"""Scrapy's downloader with per-domain concurrency that holds when there is no download delay."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request, Response
from twisted.internet.defer import Deferred


class SlotSafeDownloader(Downloader):
    """Reserves a request's transfer slot the moment it leaves the queue.

    Scrapy 2.19 starts each download as a task and counts it as transferring only once that task
    runs; with no download delay, one pass over a slot's queue starts every queued request at
    once, whatever CONCURRENT_REQUESTS_PER_DOMAIN says.
    """

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        slot.transferring.add(request)  # released by Downloader._download when the transfer ends
        return super()._wait_for_download(slot, request, queue_dfd)
