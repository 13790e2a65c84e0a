"""What story grouping compares, as pure functions of cleaned text.

Two signals, because retellings and copies look different:
- a MinHash of word shingles estimates their Jaccard similarity: edited copies and re-posts score high;
- winnowed shingle fingerprints ("phrases", Schleimer et al. 2003): outlets retelling one report write
  their own sentences but share its quotes and figures word for word, so they share a few
  fingerprints while their overall Jaccard stays around 0.05.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from newswatch.stories.minhash import minhash

SHINGLE_WORDS = 5
# Winnowing keeps the smallest hash of every window of this many shingles, so any shared passage of
# SHINGLE_WORDS + WINNOW_WINDOW - 1 = 14 words or more yields at least one shared fingerprint.
WINNOW_WINDOW = 10
UNSPACED_LANGUAGES = {"zh", "ja", "th", "lo", "km", "my"}  # shingles of characters instead of words
_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"\w")
_APOSTROPHES = re.compile("['’ʼ`]")  # isn't == isn’t == isnt; a regex, ten times faster than str.translate here


@dataclass(frozen=True)
class Signature:
    """What one article is compared by; `minhash` is None when the text is shorter than one shingle."""

    minhash: np.ndarray | None  # uint32 values (newswatch.stories.minhash)
    phrases: frozenset[int]  # winnowed shingle hashes, signed 64-bit so SQLite stores them as integers


def tokens(text: str, language: str | None = None) -> list[str]:
    """Normalised words (characters for languages written without spaces), case and apostrophes ignored."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    pattern = _CHAR if language in UNSPACED_LANGUAGES else _WORD
    return pattern.findall(text)


def content_hash(text: str) -> str:
    """Stable hash of the normalised text: the same article re-published elsewhere has the same hash."""
    return hashlib.blake2b(" ".join(tokens(text)).encode(), digest_size=16).hexdigest()


def signature(text: str, language: str | None = None) -> Signature:
    words = tokens(text, language)
    hashes = np.fromiter(
        (_hash64(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)),
        dtype=np.uint64,
    )
    if hashes.size == 0:
        return Signature(minhash=None, phrases=frozenset())
    window = min(WINNOW_WINDOW, hashes.size)
    winnowed = np.lib.stride_tricks.sliding_window_view(hashes, window).min(axis=1)
    phrases = frozenset(np.unique(winnowed).view(np.int64).tolist())
    return Signature(minhash=minhash(hashes >> np.uint64(32)), phrases=phrases)


def _hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "little")

