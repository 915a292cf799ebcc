"""Corpora: ingest JSONL / CSV / TSV / Parquet / .txt folders or a built-in into cached Parquet shards."""

from synthrr.corpus.base import Corpus
from synthrr.corpus.builtin import BUILTIN_CORPORA, BuiltinCorpus
from synthrr.corpus.catalog import CorpusInfo, cache_dir, get_corpus, list_corpora, resolve_source
from synthrr.corpus.ingest import IngestSettings, IngestStats, chunk_text, iter_passages

__all__ = [
    "BUILTIN_CORPORA",
    "BuiltinCorpus",
    "Corpus",
    "CorpusInfo",
    "IngestSettings",
    "IngestStats",
    "cache_dir",
    "chunk_text",
    "get_corpus",
    "iter_passages",
    "list_corpora",
    "resolve_source",
]
