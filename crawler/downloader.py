"""Scrapy's downloader with per-domain concurrency that holds when there is no download delay,
and a slot of its own per host for polls, which skip the download delay."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.internet.defer import Deferred


POLL_SLOT = " polls"


class SlotSafeDownloader(Downloader):
    """Reserves a request's transfer slot the moment it leaves the queue.

    Scrapy 2.19 starts each download as a task and counts it as transferring only once that task
    runs; with no download delay, one pass over a slot's queue starts every queued request at
    once, whatever CONCURRENT_REQUESTS_PER_DOMAIN says.

    Requests marked `poll` go to the host's poll slot: the same concurrency, NEWSWATCH_POLL_DELAY
    between requests, so hundreds of feeds on one host are not spaced by the article delay.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.poll_delay = crawler.settings.getfloat("NEWSWATCH_POLL_DELAY", 0.0)

    def get_slot_key(self, request: Request) -> str:
        key = super().get_slot_key(request)
        if request.meta.get("poll") and not key.endswith(POLL_SLOT):
            key += POLL_SLOT
        return key

    def _get_slot(self, request: Request, spider: object = None) -> tuple[str, Slot]:
        is_new = self.get_slot_key(request) not in self.slots
        key, slot = super()._get_slot(request)
        if is_new and key.endswith(POLL_SLOT):
            slot.delay = self.poll_delay
        return key, slot

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        slot.transferring.add(request)  # released by Downloader._download when the transfer ends
        return super()._wait_for_download(slot, request, queue_dfd)
