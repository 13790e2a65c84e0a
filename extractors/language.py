"""The language of the clean text (py3langid), falling back to what the page declares when the text is short."""

from __future__ import annotations

import py3langid

from extractors.wordcount import word_count

SAMPLE_CHARS = 600  # a paragraph or two is enough for a confident guess; more only costs time
MIN_WORDS = 15  # below this the declared <html lang> is the better guess


def detect_language(text: str, declared: str | None) -> str | None:
    """ISO 639-1 code of `text`, or `declared` when the text is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if word_count(sample) < MIN_WORDS and (declared or not sample):
        return declared
    language, _score = py3langid.classify(sample)
    return language
