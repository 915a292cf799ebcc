"""A shared sentence encoder (all-MiniLM-L6-v2 by default) for dense retrieval and metrics.

``Encoder.encode`` returns L2-normalised float32 vectors and is as fast as one bare
``SentenceTransformer.encode(texts, batch_size=64, normalize_embeddings=True)`` call while still
showing progress: it sorts the texts by length once (as sentence-transformers does inside each
call), then encodes them in small length-sorted slices, so padding stays minimal and a tqdm bar
reports passages/s and the ETA. torch and sentence-transformers are imported on first use only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from synthrr.core.assets import minilm_dir
from synthrr.core.errors import UsageError, require
from synthrr.core.log import Bar, quiet
from synthrr.core.text import stable_hash
from synthrr.encoders.fast import FAST_ENCODERS, model_identity

Device = Literal["cpu", "cuda", "auto"]
#: texts per ``SentenceTransformer.encode`` call = batch_size * this (the progress-bar step)
_SLICE_BATCHES = 4


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Encoder:
    """A sentence-transformers model folder, loaded lazily, encoding to unit-length float32 vectors."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        device: Device = "cpu",
        max_seq_length: int = 256,
        batch_size: int = 64,
        threads: int | None = None,
    ) -> None:
        if model_dir is None:
            model_dir = minilm_dir()
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "modules.json").is_file() and not (self.model_dir / "config.json").is_file():
            raise UsageError(f"{self.model_dir}: not a sentence-transformers model folder")
        self.device = device
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1

    @cached_property
    def identity(self) -> str:
        """Everything about the model that changes its vectors (files + max_seq_length)."""
        return stable_hash(model_identity(self.model_dir), str(self.max_seq_length))

    @cached_property
    def model(self) -> Any:
        require("the dense encoder", "dense", "torch", "sentence_transformers")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        with quiet():  # the per-tensor "Loading weights" bar is noise here
            m = SentenceTransformer(str(self.model_dir), device=resolve_device(self.device), local_files_only=True)
        m.max_seq_length = self.max_seq_length
        return m

    @property
    def dim(self) -> int:
        m = self.model
        get_dim = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        bar: Bar | None = None,
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in input order; ``bar`` (from
        :func:`~synthrr.core.log.progress`) advances by the texts encoded."""
        import torch

        model = self.model
        torch.set_num_threads(self.threads)
        bs = batch_size or self.batch_size
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        order = np.argsort([-len(t) for t in texts], kind="stable")
        step = bs * _SLICE_BATCHES
        for start in range(0, len(texts), step):
            idx = order[start : start + step]
            vecs = model.encode(
                [texts[i] for i in idx],
                batch_size=bs,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs
            if bar is not None:
                bar.update(len(idx))
        return out


@lru_cache(maxsize=4)
def get_encoder(
    model_dir: str | None = None,
    *,
    device: Device = "cpu",
    max_seq_length: int = 256,
    threads: int | None = None,
    kind: str = "minilm",
) -> Encoder:
    """A process-wide shared encoder (the model loads once per settings). ``kind`` is ``minilm``
    (this module's torch :class:`Encoder`) or a fast encoder of :mod:`synthrr.encoders.fast`."""
    if kind != "minilm":
        fast = FAST_ENCODERS[kind](model_dir, max_seq_length=max_seq_length, threads=threads)
        return cast("Encoder", fast)  # the same interface (identity, dim, model, encode)
    return Encoder(model_dir, device=device, max_seq_length=max_seq_length, threads=threads)
