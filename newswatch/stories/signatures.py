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
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 5
# Winnowing keeps the smallest hash of every window of this many shingles, so any shared passage of
# SHINGLE_WORDS + WINNOW_WINDOW - 1 = 14 words or more yields at least one shared fingerprint.
WINNOW_WINDOW = 10
NUM_PERM = 128
MINHASH_SCHEME = "affine32"  # datasketch's default; named because stored hash values must be read back with it
UNSPACED_LANGUAGES = {"zh", "ja", "th", "lo", "km", "my"}  # shingles of characters instead of words
_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"\w")
_APOSTROPHES = re.compile("['’ʼ`]")  # isn't == isn’t == isnt; a regex, ten times faster than str.translate here


@dataclass(frozen=True)
class Signature:
    """What one article is compared by; `minhash` is None when the text is shorter than one shingle."""

    minhash: MinHash | None
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
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_permutations(), scheme=MINHASH_SCHEME)
    minhash.update_batch((hashes >> np.uint64(32)).tolist())
    window = min(WINNOW_WINDOW, hashes.size)
    winnowed = np.lib.stride_tricks.sliding_window_view(hashes, window).min(axis=1)
    return Signature(minhash=minhash, phrases=frozenset(np.unique(winnowed).view(np.int64).tolist()))


def minhash_to_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.tobytes()


def minhash_from_bytes(data: bytes) -> MinHash:
    values = np.frombuffer(data, dtype=np.uint32)
    return MinHash(num_perm=len(values), hashvalues=values, permutations=_permutations(), scheme=MINHASH_SCHEME)


@dataclass(frozen=True)
class BandLayout:
    """How a MinHash is cut into LSH bands; datasketch picks bands × rows for a Jaccard threshold."""

    bands: int
    rows: int

    @classmethod
    def for_threshold(cls, threshold: float) -> BandLayout:
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        return cls(bands=lsh.b, rows=lsh.r)

    def keys(self, minhash: MinHash) -> list[int]:
        """One key per band; two articles that share any key are candidates for near-duplicates."""
        values = minhash.hashvalues
        prefix = f"band {self.bands}x{self.rows} ".encode()
        return [
            _signed64(hashlib.blake2b(prefix + bytes([i]) + values[i * self.rows : (i + 1) * self.rows].tobytes(),
                                      digest_size=8).digest())
            for i in range(self.bands)
        ]


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    """datasketch draws its permutations from a seeded generator; computing them once saves most of the setup."""
    return MinHash(num_perm=NUM_PERM, scheme=MINHASH_SCHEME).permutations


def _hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "little")


def _signed64(digest: bytes) -> int:
    return int.from_bytes(digest, "little", signed=True)
