"""The transformer student: fine-tune a BERT-style encoder with a classification head.

Default encoder: the packaged all-MiniLM-L6-v2 (6 layers, 384 hidden, 22.7 M parameters;
:func:`synthrr.core.assets.minilm_dir`), loaded as ``AutoModelForSequenceClassification`` (only the
head is new). Recipe as in the SynthesizRR paper's code (which follows AttrPrompt, Yu et al. 2023): AdamW
(weight decay 1e-4, eps 1e-6), linear schedule with 6% warm-up, no early stopping; learning rate
5e-5 (the paper's grid is {2e-5, 5e-5, 1e-4}; 5e-5 suits a 6-layer model), 3 epochs, batch 16,
max length 128 (the paper: DeBERTa-v3-large, 6 epochs, 512 tokens — far too slow for a CPU),
dynamic padding, gradient clipping at 1.0. Runs on CUDA when available (``device="auto"``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from synthrr.core.assets import minilm_dir
from synthrr.core.errors import InputError, require
from synthrr.core.log import progress, quiet
from synthrr.core.resources import CoreFollower, free_cores
from synthrr.students.base import BaseStudent, StudentOptions


class TransformerOptions(StudentOptions):
    model_dir: str | None = Field(None, description="encoder folder (default: the packaged MiniLM)")
    epochs: float = Field(3, gt=0, le=100, description="passes over the training data")
    min_steps: int = Field(
        150,
        ge=0,
        le=1_000_000,
        description="at least this many optimiser steps: small sets get more passes (100 examples and 3 "
        "epochs are 21 steps, too few for the head and encoder to move)",
    )
    batch_size: int = Field(16, ge=1, le=4096)
    lr: float = Field(5e-5, gt=0, le=1e-2, description="peak learning rate")
    warmup_ratio: float = Field(0.06, ge=0, lt=1, description="share of steps with linear warm-up")
    weight_decay: float = Field(1e-4, ge=0)
    adam_eps: float = Field(1e-6, gt=0)
    max_grad_norm: float | None = Field(1.0, gt=0)
    label_smoothing: float = Field(
        0.0, ge=0, lt=1, description="share of each target spread over all classes (SuperGen's recipe: 0.15)"
    )
    max_length: int = Field(128, ge=8, le=4096, description="tokens per text (longer ones are cut)")
    eval_batch_size: int = Field(64, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1, le=1024, description="CPU threads (default: cores left free by others)")


class MiniLMStudent(BaseStudent):
    """Fine-tuned encoder + classification head (``minilm`` in the registry)."""

    name = "minilm"
    Options = TransformerOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.model: Any = None
        self.tokenizer: Any = None
        self.train_stats: dict[str, Any] = {}
        self._threads: int | None = None

    @property
    def opts(self) -> TransformerOptions:
        assert isinstance(self.options, TransformerOptions)
        return self.options

    def _torch(self) -> Any:
        torch, _ = require("the minilm student", "minilm", "torch", "transformers")
        if self._threads is None:
            self._threads = self.opts.threads or free_cores()
        torch.set_num_threads(self._threads)
        return torch

    def _follower(self, torch: Any) -> CoreFollower | None:
        """Follows the free cores through a loop, unless the threads are pinned or the work is on a GPU."""
        if self.opts.threads or self._device() != "cpu":
            return None

        def resize(n: int) -> None:
            torch.set_num_threads(n)
            self._threads = n

        return CoreFollower(resize, self._threads or 1)

    def _device(self) -> str:
        import torch

        want = self.opts.device
        if want == "auto" or (want == "cuda" and not torch.cuda.is_available()):
            return "cuda" if torch.cuda.is_available() else "cpu"
        return want

    def _load_pretrained(self, source: Path, num_labels: int | None = None) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "classifier.* newly initialised" is expected
        kwargs: dict[str, Any] = {"local_files_only": True}
        if num_labels is not None:
            kwargs.update(
                num_labels=num_labels,
                id2label=dict(enumerate(self.labels)),
                label2id={lab: i for i, lab in enumerate(self.labels)},
            )
        try:
            with quiet():  # no per-tensor "Loading weights" bar
                self.tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
                self.model = AutoModelForSequenceClassification.from_pretrained(str(source), **kwargs)
        finally:
            hf_logging.set_verbosity(verbosity)
        self.model.to(self._device())

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        label_names: Sequence[str] | None = None,
        seed: int = 0,
    ) -> MiniLMStudent:
        torch = self._torch()
        names = self._set_labels(labels, label_names)
        o = self.opts
        source = minilm_dir() if o.model_dir is None else Path(o.model_dir).expanduser()
        torch.manual_seed(seed)
        self._load_pretrained(source, num_labels=len(names))
        model, device = self.model, self._device()
        col = {lab: i for i, lab in enumerate(names)}
        enc = self.tokenizer(list(texts), truncation=True, max_length=o.max_length)["input_ids"]
        y = torch.tensor([col[lab] for lab in labels], dtype=torch.long)
        n = len(enc)
        steps_per_epoch = math.ceil(n / o.batch_size)
        total_steps = max(1, o.min_steps, math.ceil(o.epochs * steps_per_epoch))
        gen = torch.Generator().manual_seed(seed)
        t0 = time.perf_counter()
        step, seen = self._train(enc, y, total_steps, steps_per_epoch, gen, f"seed {seed}, {device}")
        model.eval()
        secs = time.perf_counter() - t0
        self.train_stats = {
            "steps": step,
            "examples": seen,
            "seconds": round(secs, 3),
            "examples_per_s": round(seen / max(secs, 1e-9), 2),
            "device": device,
            "threads": self._threads or 0,
        }
        return self

    def _train(
        self, enc: list[list[int]], y: Any, total_steps: int, steps_per_epoch: int, gen: Any, desc: str
    ) -> tuple[int, int]:
        """AdamW with linear warm-up and decay over ``total_steps`` batches; returns (steps, examples)."""
        from transformers import get_linear_schedule_with_warmup

        torch, o, model, device = self._torch(), self.opts, self.model, self._device()
        optim = torch.optim.AdamW(model.parameters(), lr=o.lr, eps=o.adam_eps, weight_decay=o.weight_decay)
        sched = get_linear_schedule_with_warmup(optim, round(o.warmup_ratio * total_steps), total_steps)
        model.train()
        follow = self._follower(torch)
        n, step, seen, loss_ema = len(enc), 0, 0, None
        full, rest = divmod(total_steps, steps_per_epoch)
        total = full * n + min(rest * o.batch_size, n)
        with progress(total=total, desc=f"train {self.name} ({desc})", unit=" ex") as bar:
            for idx in _step_batches(torch, n, o.batch_size, total_steps, gen):
                batch = self.tokenizer.pad({"input_ids": [enc[i] for i in idx]}, return_tensors="pt")
                batch = {k: v.to(device) for k, v in batch.items()}
                out = model(**batch, labels=y[idx].to(device))
                if o.label_smoothing:  # the model's loss is plain cross-entropy: smooth it here
                    out.loss = torch.nn.functional.cross_entropy(
                        out.logits, y[idx].to(device), label_smoothing=o.label_smoothing
                    )
                out.loss.backward()
                if o.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), o.max_grad_norm)
                optim.step()
                sched.step()
                optim.zero_grad(set_to_none=True)
                step, seen = step + 1, seen + len(idx)
                loss = float(out.loss.detach())
                loss_ema = loss if loss_ema is None else 0.9 * loss_ema + 0.1 * loss
                bar.update(len(idx))
                bar.set_postfix(loss=f"{loss_ema:.3f}", refresh=False)
                if follow is not None:
                    follow.tick()
        return step, seen

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.model is None:
            raise ValueError("the student has not been fitted")
        torch = self._torch()
        o, device = self.opts, self._device()
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        if not len(texts):
            return out
        order = np.argsort([-len(t) for t in texts], kind="stable")  # length-sorted: little padding
        self.model.eval()
        follow = self._follower(torch)
        with torch.inference_mode():
            for start in range(0, len(texts), o.eval_batch_size):
                if follow is not None:
                    follow.tick()
                idx = order[start : start + o.eval_batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx], truncation=True, max_length=o.max_length, padding=True, return_tensors="pt"
                )
                logits = self.model(**{k: v.to(device) for k, v in batch.items()}).logits
                out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out

    def _save_model(self, folder: Path) -> None:
        with quiet():  # a one-shard "Writing model shards" bar is noise
            self.model.save_pretrained(folder / "model")
            self.tokenizer.save_pretrained(folder / "model")

    def _load_model(self, folder: Path) -> None:
        self._torch()
        path = folder / "model"
        if not (path / "config.json").is_file():
            raise InputError(folder, "saved minilm student has no model/config.json")
        self._load_pretrained(path)


def _step_batches(torch: Any, n: int, batch_size: int, total_steps: int, gen: Any) -> Iterator[list[int]]:
    """Indices of each training step's batch: epochs of a seeded permutation of ``n`` examples,
    cut into ``batch_size`` batches, until ``total_steps`` batches (the last epoch may stop early)."""
    step = 0
    while step < total_steps:
        order = torch.randperm(n, generator=gen).tolist()
        for start in range(0, n, batch_size):
            if step >= total_steps:
                return
            yield order[start : start + batch_size]
            step += 1
