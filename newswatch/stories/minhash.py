"""MinHash signatures and their LSH banding, over numpy alone.

The values are those of datasketch's "affine32" scheme with its default seed, which earlier
versions of newswatch stored: each 32-bit input hash is pre-mixed with the MurmurHash3 finalizer,
then permuted as a·h + b mod 2³² (a odd) by NUM_PERM permutations drawn from numpy's seeded
generator. Written here because importing datasketch pulls in scipy for its band layout: half a
second of CPU in every crawl process, for what a 65-point Gauss-Legendre rule computes exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NUM_PERM = 128
SEED = 1
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def minhash(hashes: np.ndarray) -> np.ndarray:
    """The signature (NUM_PERM uint32 values) of a non-empty set of 32-bit hashes."""
    a, b = _permutations()
    mixed = _fmix32(hashes.astype(np.uint32).reshape(-1, 1))
    return (mixed * a + b).min(axis=0)


def jaccard(one: np.ndarray, other: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two sets: the share of permutations whose minimum agrees."""
    return float(np.count_nonzero(one == other)) / len(one)


def to_bytes(values: np.ndarray) -> bytes:
    return values.astype(np.uint32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint32)


@dataclass(frozen=True)
class BandLayout:
    """How a signature is cut into LSH bands: the bands × rows that best separate pairs above `threshold`."""

    bands: int
    rows: int

    @classmethod
    @lru_cache(maxsize=8)
    def for_threshold(cls, threshold: float) -> BandLayout:
        # Minimise the equally weighted areas of false positives (below the threshold, the chance
        # 1 - (1 - s^r)^b that a pair shares a band) and false negatives (above it, the chance it does not).
        best, layout = float("inf"), cls(1, 1)
        for bands in range(1, NUM_PERM + 1):
            for rows in range(1, NUM_PERM // bands + 1):
                false_positive = _integral(lambda s: 1 - (1 - s**rows) ** bands, 0.0, threshold)
                false_negative = _integral(lambda s: (1 - s**rows) ** bands, threshold, 1.0)
                error = 0.5 * false_positive + 0.5 * false_negative
                if error < best:
                    best, layout = error, cls(bands, rows)
        return layout

    def keys(self, values: np.ndarray) -> list[int]:
        """One signed 64-bit key per band; two articles that share any key are candidates for near-duplicates."""
        prefix = f"band {self.bands}x{self.rows} ".encode()
        rows = self.rows
        bands = (prefix + bytes([i]) + values[i * rows : (i + 1) * rows].tobytes() for i in range(self.bands))
        return [int.from_bytes(hashlib.blake2b(band, digest_size=8).digest(), "little", signed=True) for band in bands]


def _integral(f, low: float, high: float) -> float:
    # Gauss-Legendre with n points is exact for polynomials of degree ≤ 2n - 1; these have degree ≤ NUM_PERM.
    nodes, weights = _legendre()
    half = (high - low) / 2
    return float(half * np.dot(weights, f(half * nodes + (low + high) / 2)))


@lru_cache(maxsize=1)
def _legendre() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(NUM_PERM // 2 + 1)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)
