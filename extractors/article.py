"""Turn one fetched HTML page into a clean Document, or a Skip saying why it is not an article.

The page is parsed once; its metadata comes from the tags it declares (extractors.metadata), its text from
trafilatura (extractors.body), then the source's template memory (extractors.templates), the boilerplate
cleaner (extractors.boilerplate) and the skip rules (extractors.pagekind, which documents the reasons).
The language is guessed from the clean text.
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
from extractors.templates import forget, observe, place
from extractors.wordcount import word_count
from newswatch.config import ExtractionConfig
from newswatch.models import Document, Skip, TemplateMemory, TemplateSeen


@dataclass(frozen=True)
class _Page:
    tree: HtmlElement
    metadata: PageMetadata
    body: Body | None  # as extracted: the skip rules see it whatever template memory drops
    text: str  # clean, one paragraph per line
    template: TemplateSeen


class Extractor:
    """Extraction settings compiled once; cheap to build and picklable, so each worker process can hold one."""

    def __init__(self, config: ExtractionConfig | None = None) -> None:
        config = config or ExtractionConfig()
        self.min_words = config.min_words
        self.max_elements = config.max_elements
        self.structural_teasers = config.structural_teasers
        self.recall = config.recall
        self.boilerplate = Boilerplate(config.boilerplate_patterns, defaults=config.default_boilerplate)

    def extract(self, html: str, url: str, memory: TemplateMemory | None = None) -> Document | Skip:
        """The article on the page at `url`, or why there is none; with its source's template `memory`,
        learned lines go and the Document tells what the page teaches (without, nothing is learned)."""
        tree = load_html(html)
        if tree is not None and next(islice(tree.iter(), self.max_elements, None), None) is not None:
            return Skip(TOO_COMPLEX)
        page = self._read(tree, url, memory)
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
            template=page.template,
        )

    def text(self, html: str, url: str) -> str:
        """Only the clean main text, whether or not the page counts as an article."""
        page = self._read(load_html(html), url, None)
        return page.text if page else ""

    def _read(self, tree: HtmlElement | None, url: str, memory: TemplateMemory | None) -> _Page | None:
        if tree is None:
            return None
        metadata = read_metadata(tree, url)
        body = extract_body(tree, url, self.min_words, metadata.titles, self.structural_teasers, self.recall)
        if body is None:
            return _Page(tree, metadata, None, "", TemplateSeen())
        lines, template = body.lines, TemplateSeen()
        if memory is not None:
            placed = place(tree, url, body.lines)
            lines, template = forget(body.lines, placed, memory), observe(placed)
        return _Page(tree, metadata, body, "\n".join(self.boilerplate.clean(lines)), template)


@cache
def _default_extractor() -> Extractor:
    return Extractor()


def extract_text(html: str, url: str) -> str:
    """Clean main text with the default settings, one paragraph per line; what the benchmark scores."""
    return _default_extractor().text(html, url)
