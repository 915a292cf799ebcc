"""Sparse retrieval with bm25s (Lù 2024, "BM25S: Orders of magnitude faster lexical search").

Scores follow Lucene's BM25 variant by default (Robertson & Zaragoza 2009, with the Lucene IDF);
text is lower-cased, split on ``\\w\\w+`` and stripped of English stopwords. The numpy backend is
used (numba is not a dependency). Passages with a score of 0 (no query term) are not returned.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from synthrr.corpus.base import ids_to_keys, keys_to_ids
from synthrr.errors import require
from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions
from synthrr.text import stable_hash

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool

_FORMAT = 1
_SPLITTER = r"(?u)\b\w\w+\b"  # bm25s' default, pinned here because it shapes the index


class BM25Options(RetrieverOptions):
    k1: float = Field(1.5, gt=0, le=10, description="term-frequency saturation")
    b: float = Field(0.75, ge=0, le=1, description="document-length normalisation")
    method: Literal["lucene", "robertson", "atire", "bm25l", "bm25+"] = Field("lucene", description="BM25 variant")
    stopwords: str | None = Field("en", description="bm25s stopword list ('en') or none")
    threads: int = Field(1, ge=1, le=256, description="search threads (does not change the index)")


def _bm25s() -> Any:
    return require("the bm25 retriever", "bm25", "bm25s")


class BM25Retriever(Retriever):
    """BM25 over the corpus passages (bm25s, numpy backend)."""

    name = "bm25"
    score_kind = "bm25"
    Options = BM25Options
    options: BM25Options

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._model: Any = None
        self._tokenizer: Any = None
        self._ids: list[str] = []

    def fingerprint(self) -> str:
        o = self.options
        version = importlib.metadata.version("bm25s")
        parts = ["bm25", str(_FORMAT), version, _SPLITTER, "lower", str(o.stopwords), "nostem", o.method]
        return stable_hash(*parts, repr(o.k1), repr(o.b))

    def _new_tokenizer(self) -> Any:
        from bm25s.tokenization import Tokenizer

        return Tokenizer(lower=True, splitter=_SPLITTER, stopwords=self.options.stopwords or [], stemmer=None)

    def build(
        self,
        corpus: Corpus,
        index_dir: Path,
        *,
        progress: bool = True,
        pool: EncodePool | None = None,
        parts_dir: Path | None = None,
    ) -> None:
        import numpy as np
        from tqdm.auto import tqdm

        bm25s = _bm25s()
        tok = self._new_tokenizer()
        token_ids: list[list[int]] = []
        keys = np.empty(len(corpus), dtype=np.uint64)
        pos = 0
        with tqdm(total=len(corpus), desc="bm25 tokenize", unit=" passages", disable=not progress) as bar:
            for ids, texts in corpus.iter_texts():
                token_ids.extend(tok.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False))
                keys[pos : pos + len(ids)] = ids_to_keys(ids)
                pos += len(ids)
                bar.update(len(ids))
        o = self.options
        model = bm25s.BM25(k1=o.k1, b=o.b, method=o.method, backend="numpy")
        model.index((token_ids, tok.get_vocab_dict()), show_progress=progress)
        del token_ids
        model.save(str(index_dir / "bm25s"), show_progress=False)
        tok.save_vocab(str(index_dir / "bm25s"))
        np.save(index_dir / "ids.npy", keys)
        (index_dir / "bm25.json").write_text(json.dumps(self.describe(), indent=2), encoding="utf-8")
        self._model, self._tokenizer, self._ids = model, tok, keys_to_ids(keys)

    def load(self, index_dir: Path) -> None:
        import numpy as np

        bm25s = _bm25s()
        model = bm25s.BM25.load(str(index_dir / "bm25s"), load_vocab=True, mmap=False, show_progress=False)
        tok = self._new_tokenizer()
        tok.load_vocab(str(index_dir / "bm25s"))
        self._model, self._tokenizer = model, tok
        self._ids = keys_to_ids(np.load(index_dir / "ids.npy"))

    def search(self, queries: list[str], k: int, *, progress: bool = False) -> list[Ranked]:
        if self._model is None:
            raise RuntimeError("bm25 retriever has no index; use synthrr.retrieval.open_index first")
        if not queries:
            return []
        k = min(k, len(self._ids))
        qids = self._tokenizer.tokenize(list(queries), update_vocab=False, return_as="ids", show_progress=False)
        docs, scores = self._model.retrieve(
            qids, k=k, show_progress=progress, n_threads=self.options.threads if self.options.threads > 1 else 0
        )
        ids = self._ids
        return [
            [(ids[d], float(s)) for d, s in zip(drow.tolist(), srow.tolist(), strict=True) if s > 0]
            for drow, srow in zip(docs, scores, strict=True)
        ]
