"""Counting words in any script: whitespace-separated tokens, plus every Chinese or Japanese character."""

from __future__ import annotations

import re

# Chinese and Japanese write no spaces between words; counting each character keeps min_words meaningful there.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_count(text: str) -> int:
    # str.split and one character class: this runs several times on every page
    return len(text.split()) + len(_CJK.findall(text))
