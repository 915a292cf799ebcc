"""Sparse retrieval with bm25s (Lù 2024, "BM25S: Orders of magnitude faster lexical search").

Scores follow Lucene's BM25 variant by default (Robertson & Zaragoza 2009, with the Lucene IDF);
text is lower-cased, split on ``\\w\\w+``, stripped of stopwords (``stopwords``: Lucene's 33 English
words by default) and reduced to word stems (``stemmer``: PyStemmer's Snowball ``english`` by default),
so ``payment`` matches ``payments``. Queries go through the same tokenizer as the passages. The numpy
backend is used (numba is not a dependency). Passages with a score of 0 (no query term) are not
returned.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from synthrr.core.errors import ConfigError, require
from synthrr.core.log import progress, progress_enabled
from synthrr.core.text import stable_hash
from synthrr.corpus.base import ids_to_keys
from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions
from synthrr.retrieval.ids import RowIds

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool

_FORMAT = 1
_SPLITTER = r"(?u)\b\w\w+\b"  # bm25s' default, pinned here because it shapes the index


class BM25Options(RetrieverOptions):
    k1: float = Field(1.5, gt=0, le=10, description="term-frequency saturation")
    b: float = Field(0.75, ge=0, le=1, description="document-length normalisation")
    method: Literal["lucene", "robertson", "atire", "bm25l", "bm25+"] = Field("lucene", description="BM25 variant")
    stopwords: str | None = Field(
        "en", description="bm25s stopword list: 'en' (Lucene's 33 words), 'en_plus' (179), another language, or none"
    )
    stemmer: str | None = Field(
        "english",
        description="PyStemmer (Snowball) algorithm or none; 'english' was chosen on validation (docs/validation.md)",
    )
    threads: int = Field(1, ge=1, le=256, description="search threads (does not change the index)")

    @field_validator("stopwords", "stemmer", mode="before")
    @classmethod
    def _none_word(cls, value: Any) -> Any:
        """``none`` / ``null`` / ``false`` / ``""`` (as ``--set`` may give them) mean none."""
        if value is False or (isinstance(value, str) and value.strip().lower() in ("", "none", "null", "false")):
            return None
        return value.strip().lower() if isinstance(value, str) else value


def _bm25s() -> Any:
    return require("the bm25 retriever", "bm25", "bm25s")


def _check_stopwords(name: str) -> None:
    """A stopword list bm25s does not know is a ConfigError now, not a failure at index time."""
    if name in ("en", "english"):
        return  # the default: no need to import bm25s to know it
    tokenization = require("the bm25 retriever", "bm25", "bm25s.tokenization")
    try:
        tokenization._infer_stopwords(name)
    except ValueError:
        raise ConfigError(
            "retrieval.options.stopwords", f"unknown stopword list '{name}'; try en, en_plus, de, fr, es or none"
        ) from None


def _stemmer(algorithm: str) -> Any:
    """PyStemmer's stemmer for ``algorithm`` (a ConfigError lists the known ones)."""
    stemmer_module = require("the bm25 stemmer", "bm25", "Stemmer")
    known = sorted(stemmer_module.algorithms())
    if algorithm not in known:
        raise ConfigError(
            "retrieval.options.stemmer", f"unknown stemmer '{algorithm}'; known: none, {', '.join(known)}"
        )
    return stemmer_module.Stemmer(algorithm)


class BM25Retriever(Retriever):
    """BM25 over the corpus passages (bm25s, numpy backend)."""

    name = "bm25"
    score_kind = "bm25"
    Options = BM25Options
    options: BM25Options

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.options.stemmer is not None:
            _stemmer(self.options.stemmer)  # a missing PyStemmer or an unknown algorithm fails here
        if self.options.stopwords is not None:
            _check_stopwords(self.options.stopwords)
        self._model: Any = None
        self._tokenizer: Any = None
        self._ids = RowIds(strings=[])  # passage id of each document row (uint64 keys once indexed)

    def fingerprint(self) -> str:
        o = self.options
        version = importlib.metadata.version("bm25s")
        stem = "nostem"
        if o.stemmer is not None:
            stem = f"stem:{o.stemmer}:{importlib.metadata.version('PyStemmer')}"
        parts = ["bm25", str(_FORMAT), version, _SPLITTER, "lower", str(o.stopwords), stem, o.method]
        return stable_hash(*parts, repr(o.k1), repr(o.b))

    def _new_tokenizer(self) -> Any:
        """The one tokenizer of passages and queries (lower-case, split, stopwords, stems)."""
        from bm25s.tokenization import Tokenizer

        o = self.options
        stemmer = _stemmer(o.stemmer) if o.stemmer is not None else None
        return Tokenizer(lower=True, splitter=_SPLITTER, stopwords=o.stopwords or [], stemmer=stemmer)

    def build(
        self,
        corpus: Corpus,
        index_dir: Path,
        *,
        pool: EncodePool | None = None,
        parts_dir: Path | None = None,
    ) -> None:
        bm25s = _bm25s()
        tok = self._new_tokenizer()
        token_ids: list[list[int]] = []
        keys = np.empty(len(corpus), dtype=np.uint64)
        pos = 0
        with progress(total=len(corpus), desc="bm25 tokenize", unit=" passages") as bar:
            for ids, texts in corpus.iter_texts():
                token_ids.extend(tok.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False))
                keys[pos : pos + len(ids)] = ids_to_keys(ids)
                pos += len(ids)
                bar.update(len(ids))
        o = self.options
        model = bm25s.BM25(k1=o.k1, b=o.b, method=o.method, backend="numpy")
        model.index((token_ids, tok.get_vocab_dict()), show_progress=progress_enabled())
        del token_ids
        model.save(str(index_dir / "bm25s"), show_progress=False)
        tok.save_vocab(str(index_dir / "bm25s"))
        np.save(index_dir / "ids.npy", keys)
        (index_dir / "bm25.json").write_text(json.dumps(self.describe(), indent=2), encoding="utf-8")
        self._model, self._tokenizer, self._ids = model, tok, RowIds(keys=keys)

    def load(self, index_dir: Path) -> None:
        bm25s = _bm25s()
        model = bm25s.BM25.load(str(index_dir / "bm25s"), load_vocab=True, mmap=False, show_progress=False)
        tok = self._new_tokenizer()
        tok.load_vocab(str(index_dir / "bm25s"))
        self._model, self._tokenizer = model, tok
        self._ids = RowIds.load(index_dir / "ids.npy")  # memory-mapped: 8 bytes a passage

    def search(self, queries: list[str], k: int) -> list[Ranked]:
        if self._model is None:
            raise RuntimeError("bm25 retriever has no index; use synthrr.retrieval.open_index first")
        if not queries:
            return []
        k = min(k, len(self._ids))
        qids = self._tokenizer.tokenize(list(queries), update_vocab=False, return_as="ids", show_progress=False)
        threads = self.options.threads if self.options.threads > 1 else 0
        docs, scores = self._model.retrieve(qids, k=k, show_progress=progress_enabled(), n_threads=threads)
        return self._ids.ranked(docs, scores, positive_only=True)
