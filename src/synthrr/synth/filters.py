"""Post-generation filters. Each returns, per row, ``None`` (keep) or a drop reason.

Filters are applied in order; rows dropped by one are not seen by the next, and every drop is
counted by its reason. Stateful filters (duplicates) remember what they have kept across rounds
of quota top-up.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from synthrr.core.records import SyntheticExample
from synthrr.core.text import count_tokens, normalize_whitespace

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngram_set(text: str, n: int) -> set[tuple[str, ...]]:
    """Word n-grams of the lower-cased text; a text shorter than ``n`` words is one n-gram."""
    w = words(text)
    if not w:
        return set()
    if len(w) < n:
        return {tuple(w)}
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def overlap(text: str, reference: set[tuple[str, ...]], n: int) -> float:
    """Share of ``text``'s n-grams that occur in ``reference`` (0 for an empty text)."""
    grams = ngram_set(text, n)
    return len(grams & reference) / len(grams) if grams else 0.0


class Filter(ABC):
    """A filter over a batch of rows."""

    name: str = "filter"

    @abstractmethod
    def apply(self, rows: Sequence[SyntheticExample]) -> list[str | None]:
        """One verdict per row: ``None`` keeps it, a string is the drop reason."""

    def counts(self) -> dict[str, int]:
        """Counts of the filter's own work for the run manifest (e.g. cached verdicts); none by default."""
        return {}


def run_filters(
    filters: Sequence[Filter], rows: Sequence[SyntheticExample]
) -> tuple[list[SyntheticExample], Counter[str]]:
    """Apply ``filters`` in order to a round's rows. A dropped row gets its reason as ``verdict``
    (later filters do not see it); returns the survivors and the drops counted by reason."""
    drops: Counter[str] = Counter()
    alive = list(rows)
    for f in filters:
        survivors = []
        for row, reason in zip(alive, f.apply(alive), strict=True):
            if reason is None:
                survivors.append(row)
            else:
                row.verdict = reason
                drops[reason] += 1
        alive = survivors
    return alive, drops


class ExampleFilter(Filter):
    """A filter that judges each row on its own: implement :meth:`keep`."""

    @abstractmethod
    def keep(self, row: SyntheticExample) -> str | None: ...

    def apply(self, rows: Sequence[SyntheticExample]) -> list[str | None]:
        return [self.keep(r) for r in rows]


class LengthFilter(ExampleFilter):
    name = "length"

    def __init__(self, min_tokens: int, max_tokens: int | None) -> None:
        self.min_tokens, self.max_tokens = min_tokens, max_tokens

    def keep(self, row: SyntheticExample) -> str | None:
        n = count_tokens(row.text)
        if n < self.min_tokens:
            return "too_short"
        if self.max_tokens is not None and n > self.max_tokens:
            return "too_long"
        return None


class CopyFilter(ExampleFilter):
    """Drop rows whose n-grams mostly occur in their source passage or in any seed text."""

    name = "copy"

    def __init__(self, passages: dict[str, str], seeds: Iterable[str], n: int, threshold: float) -> None:
        self.passages, self.n, self.threshold = passages, n, threshold
        self.seed_grams: set[tuple[str, ...]] = set()
        for s in seeds:
            self.seed_grams |= ngram_set(s, n)

    def keep(self, row: SyntheticExample) -> str | None:
        passage = self.passages.get(row.passage_id or "")
        if passage and overlap(row.text, ngram_set(passage, self.n), self.n) >= self.threshold:
            return "copies_passage"
        if overlap(row.text, self.seed_grams, self.n) >= self.threshold:
            return "copies_seed"
        return None


class ContaminationFilter(ExampleFilter):
    """Drop rows that reproduce text of the task's test split (exact or n-gram overlap)."""

    name = "contamination"

    def __init__(self, test_texts: Iterable[str], n: int, threshold: float) -> None:
        self.n, self.threshold = n, threshold
        self.exact: set[str] = set()
        self.grams: set[tuple[str, ...]] = set()
        for t in test_texts:
            self.exact.add(normalize_whitespace(t).lower())
            self.grams |= ngram_set(t, n)

    def keep(self, row: SyntheticExample) -> str | None:
        if normalize_whitespace(row.text).lower() in self.exact:
            return "test_contamination"
        if overlap(row.text, self.grams, self.n) >= self.threshold:
            return "test_contamination"
        return None


class DedupFilter(Filter):
    """Exact (normalised text) or near duplicates (MinHash-LSH over word 3-shingles, verified by
    exact Jaccard >= ``threshold``; Broder 1997). The first occurrence is kept."""

    name = "dedup"

    def __init__(self, mode: str = "near", threshold: float = 0.7, num_perm: int = 64, seed: int = 1) -> None:
        self.mode, self.threshold = mode, threshold
        self.seen_exact: set[str] = set()
        self.kept_shingles: list[set[int]] = []
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
        self._b = rng.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
        # bands x rows: a pair with Jaccard s becomes a candidate with prob 1 - (1 - s^r)^b
        self.rows = 4
        self.bands = num_perm // self.rows
        self.buckets: list[dict[bytes, list[int]]] = [{} for _ in range(self.bands)]

    @staticmethod
    def shingles(text: str, k: int = 3) -> set[int]:
        """Stable 64-bit hashes of word k-shingles (independent of PYTHONHASHSEED)."""
        w = words(text)
        grams = [w] if len(w) < k else [w[i : i + k] for i in range(len(w) - k + 1)]
        return {
            int.from_bytes(hashlib.blake2b("\x1f".join(g).encode(), digest_size=8).digest(), "little")
            for g in grams
            if g
        }

    def _signature(self, sh: set[int]) -> np.ndarray:
        x = np.fromiter((h & ((1 << 61) - 1) for h in sh), dtype=np.uint64, count=len(sh))
        with np.errstate(over="ignore"):
            v = (x[:, None] * self._a[None, :] + self._b[None, :]) % np.uint64((1 << 61) - 1)
        sig: np.ndarray = v.min(axis=0)
        return sig

    def _is_near_dup(self, sh: set[int]) -> bool:
        if not sh:
            return False
        sig = self._signature(sh)
        candidates: set[int] = set()
        keys = []
        for b in range(self.bands):
            key = sig[b * self.rows : (b + 1) * self.rows].tobytes()
            keys.append(key)
            candidates.update(self.buckets[b].get(key, ()))
        for c in candidates:
            other = self.kept_shingles[c]
            if len(sh & other) / len(sh | other) >= self.threshold:
                return True
        idx = len(self.kept_shingles)
        self.kept_shingles.append(sh)
        for b, key in enumerate(keys):
            self.buckets[b].setdefault(key, []).append(idx)
        return False

    def apply(self, rows: Sequence[SyntheticExample]) -> list[str | None]:
        out: list[str | None] = []
        for r in rows:
            norm = normalize_whitespace(r.text).lower()
            if norm in self.seen_exact:
                out.append("exact_duplicate")
                continue
            self.seen_exact.add(norm)
            if self.mode == "near" and self._is_near_dup(self.shingles(r.text)):
                out.append("near_duplicate")
                continue
            out.append(None)
        return out
