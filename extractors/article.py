"""Turn one fetched HTML page into a clean Document, or a Skip saying why it is not an article.

The page is parsed once; its metadata comes from the tags it declares (extractors.metadata), its text from
trafilatura (extractors.body), then the boilerplate cleaner (extractors.boilerplate) and the skip rules
(extractors.pagekind, which documents the reasons). The language is guessed from the clean text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import islice

from lxml.html import HtmlElement
from trafilatura import load_html

from extractors.body import Body, extract_body
from extractors.boilerplate import Boilerplate
from extractors.language import detect_language
from extractors.metadata import PageMetadata, read_metadata
from extractors.pagekind import NO_CONTENT, TOO_COMPLEX, skip_reason
from extractors.wordcount import word_count
from newswatch.config import ExtractionConfig
from newswatch.models import Document, Skip


@dataclass(frozen=True)
class _Page:
    tree: HtmlElement
    metadata: PageMetadata
    body: Body | None
    text: str  # clean, one paragraph per line


class Extractor:
    """Extraction settings compiled once; cheap to build and picklable, so each worker process can hold one."""

    def __init__(self, config: ExtractionConfig | None = None) -> None:
        config = config or ExtractionConfig()
        self.min_words = config.min_words
        self.max_elements = config.max_elements
        self.boilerplate = Boilerplate(config.boilerplate_patterns, defaults=config.default_boilerplate)

    def extract(self, html: str, url: str) -> Document | Skip:
        """The article on the page at `url`, or why there is none."""
        tree = load_html(html)
        if tree is not None and next(islice(tree.iter(), self.max_elements, None), None) is not None:
            return Skip(TOO_COMPLEX)
        page = self._read(tree, url)
        if page is None:
            return Skip(NO_CONTENT)
        reason = skip_reason(page.tree, page.metadata, page.body, word_count(page.text), self.min_words)
        if reason:
            return Skip(reason)
        return Document(
            title=page.metadata.title or "",
            text=page.text,
            author=page.metadata.author,
            published=page.metadata.published,
            language=detect_language(page.text, page.metadata.language),
            canonical_url=page.metadata.canonical_url,
        )

    def text(self, html: str, url: str) -> str:
        """Only the clean main text, whether or not the page counts as an article."""
        page = self._read(load_html(html), url)
        return page.text if page else ""

    def _read(self, tree: HtmlElement | None, url: str) -> _Page | None:
        if tree is None:
            return None
        metadata = read_metadata(tree, url)
        body = extract_body(tree, url, self.min_words, metadata.titles)
        text = "\n".join(self.boilerplate.clean(body.lines)) if body else ""
        return _Page(tree, metadata, body, text)


@cache
def _default_extractor() -> Extractor:
    return Extractor()


def extract_text(html: str, url: str) -> str:
    """Clean main text with the default settings, one paragraph per line; what the benchmark scores."""
    return _default_extractor().text(html, url)
