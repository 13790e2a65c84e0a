"""Article links on an HTML section page: the links whose URL matches the source's `follow` pattern."""

from __future__ import annotations

import re

from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor


def listing_links(response: TextResponse, follow: re.Pattern[str]) -> list[str]:
    """Links matching `follow`, in page order, without repeats."""
    extractor = LinkExtractor(allow=(follow.pattern,), unique=True)
    return [link.url for link in extractor.extract_links(response)]
