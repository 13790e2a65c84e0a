"""Items passed from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.runs import SourceRun
from newswatch.models import Document, Skip


@dataclass
class FetchedPage:
    """A candidate article page as downloaded; `url` is where it ended up after redirects."""

    run: SourceRun
    url: str
    html: str
    fetched: datetime
    listed: str = ""  # the link the run requested, before redirects
    redirected_from: tuple[str, ...] = ()
    result: Document | Skip | None = None  # set by the extraction pipeline; None if extraction failed

    @property
    def source(self) -> str:
        return self.run.name
