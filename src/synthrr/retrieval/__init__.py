"""Retrieval: sparse (bm25) and dense (MiniLM + FAISS) retrievers over ingested corpora, with persisted indexes."""

from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions
from synthrr.retrieval.indexes import (
    HIT_COLUMNS,
    RETRIEVERS,
    get_retriever,
    hits_frame,
    index_dir_for,
    load_hits,
    open_index,
    retrieve,
    retriever_from_config,
    save_hits,
)

__all__ = [
    "HIT_COLUMNS",
    "RETRIEVERS",
    "Ranked",
    "Retriever",
    "RetrieverOptions",
    "get_retriever",
    "hits_frame",
    "index_dir_for",
    "load_hits",
    "open_index",
    "retrieve",
    "retriever_from_config",
    "save_hits",
]
