"""Retriever registry, option validation, fingerprints and lazy heavy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from synthrr.config import RetrievalConfig
from synthrr.core.errors import ConfigError, UnknownNameError
from synthrr.retrieval import RETRIEVERS, get_retriever, retriever_from_config


def test_builtins_are_registered() -> None:
    assert {"bm25", "dense"} <= set(RETRIEVERS.names())
    with pytest.raises(UnknownNameError, match=r"unknown retriever 'bm52'.*bm25, dense"):
        get_retriever("bm52")


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("bm25", {"k3": 1.0}, "retrieval.options.k3"),
        ("bm25", {"k1": -1}, "retrieval.options.k1"),
        ("bm25", {"method": "tfidf"}, "retrieval.options.method"),
        ("dense", {"device": "tpu"}, "retrieval.options.device"),
        ("dense", {"max_seq_length": 4}, "retrieval.options.max_seq_length"),
        ("dense", {"modle": "x"}, "retrieval.options.modle"),
    ],
)
def test_bad_options_name_the_option(name: str, options: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        get_retriever(name, **options)
    assert err.value.field == field
    assert err.value.exit_code == 2


def test_bm25_fingerprint_tracks_what_changes_the_index() -> None:
    base = get_retriever("bm25").fingerprint()
    assert get_retriever("bm25").fingerprint() == base
    assert get_retriever("bm25", threads=2).fingerprint() == base
    assert get_retriever("bm25", k1=1.2).fingerprint() != base
    assert get_retriever("bm25", b=0.5).fingerprint() != base
    assert get_retriever("bm25", stopwords=None).fingerprint() != base


def test_dense_fingerprint_tracks_model_and_sequence_length() -> None:
    base = get_retriever("dense").fingerprint()
    assert get_retriever("dense", batch_size=8, threads=1, device="auto").fingerprint() == base
    assert get_retriever("dense", max_seq_length=128).fingerprint() != base


def test_config_batch_size_reaches_retrievers_that_take_it() -> None:
    dense = retriever_from_config(RetrievalConfig(retriever="dense", batch_size=16))
    assert dense.options.batch_size == 16  # type: ignore[attr-defined]
    explicit = retriever_from_config(RetrievalConfig(retriever="dense", batch_size=16, options={"batch_size": 4}))
    assert explicit.options.batch_size == 4  # type: ignore[attr-defined]
    assert retriever_from_config(RetrievalConfig(retriever="bm25", options={"k1": 1.2})).options.k1 == 1.2  # type: ignore[attr-defined]


def test_no_heavy_imports_until_an_index_is_used() -> None:
    code = (
        "import sys; from synthrr.retrieval import get_retriever; import synthrr.corpus, synthrr.encoders.sentence;"
        "import synthrr.cli.corpora;"
        "[get_retriever(n).fingerprint() for n in ('bm25', 'dense')];"
        "heavy = [m for m in ('torch', 'faiss', 'bm25s', 'sentence_transformers', 'transformers') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
