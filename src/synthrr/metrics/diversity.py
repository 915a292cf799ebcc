"""Lexical diversity of a text set: Self-BLEU-n and distinct-n.

**Self-BLEU** (Zhu et al. 2018, "Texygen", SIGIR; as computed in the code of the SynthesizRR paper, Divekar &
Durrett 2024; docs/evaluation.md compares the two):
each text is scored with BLEU (Papineni et al. 2002) against *all other* texts as references and the
scores are averaged. Higher means less diverse. For a hypothesis ``h`` and order ``n``::

    p_k   = sum_g min(c_h(g), max_{r != h} c_r(g)) / max(1, |k-grams of h|)     k = 1..n   (clipped precision)
    p_k   = 0.1 / max(1, |k-grams of h|)   if the numerator is 0                (smoothing method1, Chen & Cherry 2014)
    BP    = 1 if |h| > r*  else exp(1 - r*/|h|)      r* = the reference length closest to |h| (ties: the shorter)
    BLEU  = BP * exp(sum_k (1/n) log p_k),  and 0 when no unigram matches or ``h`` is empty

This is exactly NLTK's ``sentence_bleu(others, h, weights=(1/n,)*n,
smoothing_function=SmoothingFunction().method1)`` (tests check it to 1e-6), but vectorised: per order,
every n-gram gets an integer id, and the largest and second-largest count of each n-gram over all
texts are computed once, so "max over all *other* texts" is O(1) per (text, n-gram) — the whole
computation is O(total tokens · n) instead of NLTK's O(N² · tokens).

**distinct-n** (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
Models", NAACL): the number of distinct n-grams divided by the total number of n-grams, pooled over
the set. Higher means more diverse.

Tokenisation: :func:`synthrr.core.text.tokenize` (runs of word characters, and each other non-space
character as its own token; case kept). The paper used spaCy ``en_core_web_lg`` tokens; on English
prose the two agree except on contractions and hyphenation, so absolute values differ slightly from
the paper's, while comparisons between methods are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synthrr.core.text import tokenize

if TYPE_CHECKING:
    from synthrr.metrics.base import MetricInput

Tokenizer = Callable[[str], list[str]]
TOKENIZER_NAME = "synthrr.core.text.tokenize (\\w+ runs and single punctuation marks, case kept)"
#: NLTK SmoothingFunction().method1's epsilon
EPSILON = 0.1


def default_tokenizer() -> Tokenizer:
    return tokenize


def _tokenize_all(texts: Sequence[str] | Sequence[Sequence[str]], tokenizer: Tokenizer | None) -> list[list[str]]:
    tok = tokenizer or default_tokenizer()
    return [tok(t) if isinstance(t, str) else list(t) for t in texts]


class _NgramIndex:
    """Integer ids of every n-gram position of a tokenised corpus, built order by order.

    The id of the n-gram starting at a position is derived from the (n-1)-gram id at that position
    and the n-th token, so keys stay within int64 for any vocabulary and order.
    """

    def __init__(self, docs: list[list[str]]) -> None:
        vocab: dict[str, int] = {}
        flat = [vocab.setdefault(tok, len(vocab)) for d in docs for tok in d]
        self.lengths = np.array([len(d) for d in docs], dtype=np.int64)
        self.tokens = np.array(flat, dtype=np.int64)
        self.doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), self.lengths)
        starts = np.zeros(len(docs), dtype=np.int64)
        np.cumsum(self.lengths[:-1], out=starts[1:])
        self.pos_in_doc = np.arange(len(self.tokens), dtype=np.int64) - np.repeat(starts, self.lengths)
        self.n_vocab = max(1, len(vocab))
        self.order = 0
        self.ids = np.zeros(0, dtype=np.int64)  # ids of the current order, one per position

    def advance(self) -> tuple[np.ndarray, np.ndarray]:
        """Move to the next order; return ``(doc index, n-gram id)`` for every valid n-gram position."""
        self.order += 1
        n = self.order
        total = len(self.tokens)
        if n == 1:
            self.ids = self.tokens.copy()
        else:
            # the n-gram at p = (n-1)-gram at p, then token p+n-1; valid only inside one document
            prev = self.ids[: total - n + 1]
            nxt = self.tokens[n - 1 :]
            _, self.ids = np.unique(prev * self.n_vocab + nxt, return_inverse=True)
            self.ids = self.ids.astype(np.int64)
        m = total - n + 1
        if m <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        valid = self.pos_in_doc[:m] + n <= self.lengths[self.doc_of[:m]]
        # later orders build on ids of positions that may be invalid (crossing a document end);
        # those are filtered here and never counted
        return self.doc_of[:m][valid], self.ids[:m][valid]


def _closest_other_lengths(lengths: np.ndarray) -> np.ndarray:
    """For each text, the length of the closest *other* text (ties: the shorter), as NLTK's
    ``closest_ref_length`` over the references "all other texts"."""
    values, counts = np.unique(lengths, return_counts=True)
    idx = np.searchsorted(values, lengths)
    same_twice = counts[idx] >= 2
    below = np.where(idx > 0, values[np.maximum(idx - 1, 0)], -1)
    above = np.where(idx < len(values) - 1, values[np.minimum(idx + 1, len(values) - 1)], -1)
    big = np.iinfo(np.int64).max
    d_below = np.where(below >= 0, lengths - below, big)
    d_above = np.where(above >= 0, above - lengths, big)
    nearest = np.where(d_below <= d_above, below, above)  # a tie goes to the shorter length
    return np.where(same_twice, lengths, nearest)


def self_bleu(
    texts: Sequence[str] | Sequence[Sequence[str]],
    max_n: int = 5,
    *,
    tokenizer: Tokenizer | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> dict[int, float]:
    """Self-BLEU-n for n = 1..``max_n`` (see the module docstring for the formula).

    Args:
        texts: N >= 2 strings, or N token lists.
        max_n: highest order; the result has one score per n = 1..max_n, each with uniform weights 1/n.
        tokenizer: str -> tokens (default :func:`synthrr.core.text.tokenize`).
        sample: if set and < N, score only this many hypotheses (a seeded sample without
            replacement), each still against *all* other texts; an unbiased estimate of the mean.
        seed: seed of that sample.

    Returns:
        ``{n: mean BLEU-n over the scored hypotheses}``, floats in [0, 1].
    """
    scores = self_bleu_per_text(texts, max_n, tokenizer=tokenizer)
    n_docs = scores.shape[0]
    if sample is not None and sample < n_docs:
        idx = np.sort(np.random.default_rng(seed).choice(n_docs, size=sample, replace=False))
        scores = scores[idx]
    return {n: float(scores[:, n - 1].mean()) for n in range(1, max_n + 1)}


def self_bleu_per_text(
    texts: Sequence[str] | Sequence[Sequence[str]], max_n: int = 5, *, tokenizer: Tokenizer | None = None
) -> np.ndarray:
    """BLEU-1..max_n of every text against all the others: an array of shape (N, max_n)."""
    if max_n < 1:
        raise ValueError("max_n must be >= 1")
    docs = _tokenize_all(texts, tokenizer)
    n_docs = len(docs)
    if n_docs < 2:
        raise ValueError("Self-BLEU needs at least 2 texts")
    index = _NgramIndex(docs)
    lengths = index.lengths
    log_p = np.zeros((n_docs, max_n))
    unigram_match = np.zeros(n_docs, dtype=bool)
    for k in range(1, max_n + 1):
        doc, gram = index.advance()
        denom = np.maximum(1, lengths - k + 1).astype(np.float64)
        numer: np.ndarray = np.zeros(n_docs)
        if len(doc):
            n_grams = int(gram.max()) + 1
            # count of each (document, n-gram) pair
            pair, count = np.unique(doc * n_grams + gram, return_counts=True)
            p_doc, p_gram = pair // n_grams, pair % n_grams
            # largest and second-largest count of each n-gram over documents (0 if fewer)
            order = np.lexsort((-count, p_gram))
            g_sorted, c_sorted = p_gram[order], count[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = g_sorted[1:] != g_sorted[:-1]
            max1 = np.zeros(n_grams, dtype=np.int64)
            max2 = np.zeros(n_grams, dtype=np.int64)
            max1[g_sorted[first]] = c_sorted[first]
            second = np.zeros(len(order), dtype=bool)
            second[1:] = ~first[1:] & first[:-1]
            max2[g_sorted[second]] = c_sorted[second]
            # max over the *other* documents: the runner-up if this document holds the maximum
            ref_max = np.where(count == max1[p_gram], max2[p_gram], max1[p_gram])
            numer = np.bincount(p_doc, weights=np.minimum(count, ref_max), minlength=n_docs)
        if k == 1:
            unigram_match = numer > 0
        log_p[:, k - 1] = np.log(np.where(numer > 0, numer, EPSILON) / denom)
    closest = _closest_other_lengths(lengths)
    with np.errstate(divide="ignore"):
        bp = np.where(lengths > closest, 1.0, np.exp(1.0 - closest / np.maximum(lengths, 1)))
    out = np.zeros((n_docs, max_n))
    cum = np.cumsum(log_p, axis=1)
    for n in range(1, max_n + 1):
        out[:, n - 1] = np.where(unigram_match, bp * np.exp(cum[:, n - 1] / n), 0.0)
    return out


def self_bleu_reference(
    texts: Sequence[str] | Sequence[Sequence[str]],
    max_n: int = 5,
    *,
    tokenizer: Tokenizer | None = None,
    indices: Sequence[int] | None = None,
) -> dict[int, float]:
    """The paper's O(N²) implementation with NLTK (a test/benchmark reference; needs ``nltk``).

    One ``sentence_bleu`` call per hypothesis with all ``max_n`` weight vectors at once (NLTK
    computes the modified precisions once and returns one score per weight vector).
    """
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    docs = _tokenize_all(texts, tokenizer)
    weights = [tuple([1.0 / n] * n) for n in range(1, max_n + 1)]
    smooth = SmoothingFunction().method1
    chosen = range(len(docs)) if indices is None else indices
    totals = np.zeros(max_n)
    for i in chosen:
        refs = docs[:i] + docs[i + 1 :]
        res = sentence_bleu(refs, docs[i], weights=weights, smoothing_function=smooth)
        totals += np.asarray(res if isinstance(res, list) else [res], dtype=np.float64)
    count = len(chosen)
    return {n: float(totals[n - 1] / count) for n in range(1, max_n + 1)}


def distinct_n(
    texts: Sequence[str] | Sequence[Sequence[str]],
    n_values: Sequence[int] = (1, 2, 3),
    *,
    tokenizer: Tokenizer | None = None,
) -> dict[int, float]:
    """distinct-n (Li et al. 2016): |distinct n-grams| / |n-grams|, pooled over all texts.

    Returns ``{n: value in [0, 1]}``; 0.0 when the texts have no n-gram of that order.
    """
    docs = _tokenize_all(texts, tokenizer)
    out: dict[int, float] = {}
    for n in n_values:
        grams = [tuple(d[i : i + n]) for d in docs for i in range(len(d) - n + 1)]
        out[n] = len(set(grams)) / len(grams) if grams else 0.0
    return out


# ---- adapters for the metric registry -------------------------------------------------------
def self_bleu_metric(inp: MetricInput) -> dict[str, Any]:
    """Self-BLEU-1..5 of the synthetic texts (registry adapter)."""
    scores = self_bleu(inp.texts, 5, sample=inp.options.get("self_bleu_sample"), seed=inp.seed)
    return {
        **{f"self_bleu_{n}": v for n, v in scores.items()},
        "tokenizer": TOKENIZER_NAME,
        "sample": inp.options.get("self_bleu_sample"),
        "smoothing": "NLTK method1 (epsilon 0.1)",
    }


def distinct_metric(inp: MetricInput) -> dict[str, Any]:
    """distinct-1..3 of the synthetic texts (registry adapter)."""
    return {**{f"distinct_{n}": v for n, v in distinct_n(inp.texts, (1, 2, 3)).items()}, "tokenizer": TOKENIZER_NAME}
