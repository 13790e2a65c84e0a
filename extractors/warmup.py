"""Imported by the extraction pool's fork server only: one extraction of a built-in page loads what a
worker would otherwise load on its first page (py3langid's model, half a second of CPU), so every
worker forked from the server starts warm."""

from extractors.article import Extractor

_PAGE = (
    "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1><p>"
    + "This paragraph repeats enough words to pass as an article, so the language guesser loads its model. " * 8
    + "</p></article></body></html>"
)

Extractor().extract(_PAGE, "http://localhost/warm-up")
