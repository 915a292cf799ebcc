"""Content-addressed cache of retrieval hits: a rerun neither opens the index nor encodes queries.

Key = hash of the corpus fingerprint, the retriever's name and fingerprint (its model and index
settings), top-K, the retriever options, and every query's id and text, in order. The hits are a
Parquet table (:func:`synthrr.retrieval.save_hits`) under ``$SYNTHRR_HOME/hits/<key>.parquet``,
written atomically; one that does not read back is a miss, retrieved and written again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.core.paths import subdir
from synthrr.core.text import stable_hash
from synthrr.retrieval.indexes import load_hits, save_hits

if TYPE_CHECKING:
    from synthrr.config import RetrievalConfig
    from synthrr.core.records import Example, Hit
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.base import Retriever

log = logging.getLogger(__name__)

#: bump when cached hits would no longer be what retrieval computes
VERSION = 1


def hits_key(corpus: Corpus, retriever: Retriever, config: RetrievalConfig, queries: Sequence[Example]) -> str:
    """The content key of ``queries``' top-``config.k`` hits over ``corpus`` with ``retriever``."""
    options = {k: v for k, v in config.options.items() if k != "threads"}  # threads change speed, not hits
    head = json.dumps(
        {
            "v": VERSION,
            "corpus": corpus.fingerprint,
            "retriever": [retriever.name, retriever.fingerprint()],
            "k": config.k,
            "options": options,
        },
        sort_keys=True,
        default=str,
    )
    return stable_hash(head, *(f"{q.id}\x1f{q.text}" for q in queries), size=16)


def hits_path(key: str) -> Path:
    return subdir("hits") / f"{key}.parquet"


def cached_hits(key: str) -> list[Hit] | None:
    """The hits stored under ``key``, or ``None`` (not stored, or unreadable)."""
    path = hits_path(key)
    if not path.is_file():
        return None
    try:
        return load_hits(path)
    except Exception as e:  # a damaged file: retrieve again (and replace it)
        log.warning("ignoring unreadable cached hits %s (%s); retrieving again", path.name, e)
        return None


def store_hits(key: str, hits: Sequence[Hit]) -> None:
    save_hits(hits, hits_path(key))
