"""Retrieval: sparse (bm25) and dense (MiniLM + FAISS) retrievers over ingested corpora, with persisted indexes."""

from synthrr.retrieval.api import (
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
from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions

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
