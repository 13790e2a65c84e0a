"""The scheduler's queue for crawls of many hosts: a host's next request leaves the queue only when
the host has room for it, so a slow host cannot fill the crawl's global concurrency."""

from __future__ import annotations

from typing import Any, Iterable

from scrapy.crawler import Crawler
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface


class HostsWithRoom(DownloaderInterface):
    """Scrapy's view of the downloader for its queue, leaving out the hosts already at their concurrency."""

    def stats(self, possible_slots: Iterable[str]) -> list[tuple[int, str]]:
        slots = self.downloader.slots
        return [
            (active, slot)
            for active, slot in super().stats(possible_slots)
            if slot not in slots or active < slots[slot].concurrency
        ]


class HostFairPriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's broad-crawl queue (the least busy host first) that also waits for a host to have room.

    Scrapy counts a request as downloading from the moment it leaves the scheduler, also while it
    waits in its host's slot; twelve requests for a host that hangs then hold twelve of the crawl's
    `max_concurrency` and every other host waits for them to time out.
    """

    def __init__(self, crawler: Crawler, *args: Any, **kwargs: Any):
        super().__init__(crawler, *args, **kwargs)
        self._downloader_interface = HostsWithRoom(crawler)
