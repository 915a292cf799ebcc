"""Distillation: train a student on (synthetic) examples, score it on real test data.

The SynthesizRR paper (Divekar & Durrett 2024) trains 5 independent students per dataset and reports mean accuracy
and macro-F1 on the real test split, with no validation set and no early stopping. We default to
3 seeds (``seeds=5`` reproduces the paper's count); deterministic students (``tfidf``) are fitted
once. ``std`` is the sample standard deviation over seeds (ddof=1; 0.0 for a single fit).
"""

from __future__ import annotations

import os
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthrr.core.records import Example
from synthrr.core.resources import Closeable
from synthrr.run.manifest import StudentScore
from synthrr.students.base import STUDENTS


def scores(y_true: Sequence[str], y_pred: Sequence[str], label_names: Sequence[str] | None = None) -> dict[str, float]:
    """Accuracy and macro-F1 (scikit-learn; macro over ``label_names`` when given)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = list(label_names) if label_names is not None else sorted(set(y_true) | set(y_pred))
    return {
        "accuracy": float(accuracy_score(list(y_true), list(y_pred))),
        "macro_f1": float(f1_score(list(y_true), list(y_pred), labels=labels, average="macro", zero_division=0)),
    }


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


@dataclass(frozen=True, slots=True)
class FitData:
    """What every fit of one student on one training set shares (shipped once to remote workers)."""

    texts: list[str]
    labels: list[str]
    label_names: list[str]
    test_texts: list[str]
    test_labels: list[str]


@dataclass(frozen=True, slots=True)
class FitJob:
    """One fit + score: ``student`` with ``options`` and ``seed``. ``keep_model`` returns the model."""

    student: str
    options: dict[str, Any]
    seed: int
    keep_model: bool = False


def fit_and_score(job: FitJob, data: FitData) -> FitResult:
    """The job body, the same wherever it runs: fit on ``data``, score on its test examples.

    Returns the run record (seed, accuracy, macro_f1, fit_s, predict_s, worker = the ``host:pid``
    that fitted it[, train]) and the fitted student when ``job.keep_model`` (else ``None``)."""
    model = STUDENTS.get(job.student)(**job.options)
    t0 = time.perf_counter()
    model.fit(data.texts, data.labels, label_names=data.label_names, seed=job.seed)
    t1 = time.perf_counter()
    pred = model.predict(data.test_texts)
    t2 = time.perf_counter()
    run: dict[str, Any] = {
        "seed": job.seed,
        **scores(data.test_labels, pred, data.label_names),
        "fit_s": t1 - t0,
        "predict_s": t2 - t1,
    }
    run["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    stats = getattr(model, "train_stats", None)
    if stats:
        run["train"] = stats
    return run, model if job.keep_model else None


FitResult = tuple[dict[str, Any], Any]  # (run record, the fitted student when the job keeps it)


class FitPool(Closeable, ABC):
    """Where the fit jobs of :func:`distill` run; results come back in job order. Executors
    implement it for their workers (:class:`synthrr.executors.fit.RayFitPool`)."""

    name = "base"

    @abstractmethod
    def map(self, data: FitData, jobs: Sequence[FitJob]) -> list[FitResult]:
        """Run :func:`fit_and_score` for every job on ``data``."""


class LocalFitPool(FitPool):
    """Fits one after another in this process (the default)."""

    name = "local"

    def map(self, data: FitData, jobs: Sequence[FitJob]) -> list[FitResult]:
        return [fit_and_score(job, data) for job in jobs]


def fit_seeds(student: str, seeds: int | Sequence[int]) -> list[int]:
    """The seeds :func:`distill` fits ``student`` with: all of them, or the first for a deterministic one."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValueError("at least one seed is needed")
    return seed_list[:1] if STUDENTS.get(student).deterministic else seed_list


def fit_plan(student: str, seeds: int) -> str:
    """How many fits :func:`distill` makes for ``seeds`` seeds, in words (for progress lines)."""
    if len(fit_seeds(student, seeds)) < seeds:
        return "1 fit (deterministic: the seed changes nothing)"
    return f"{seeds} seed(s)"


def distill(
    student: str,
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    label_names: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 3,
    options: dict[str, Any] | None = None,
    save_dir: str | Path | None = None,
    save_extra: dict[str, Any] | None = None,
    pool: FitPool | None = None,
) -> StudentScore:
    """Fit ``student`` on ``train`` once per seed and score each fit on ``test``.

    Args:
        student: registered student name (``tfidf``, ``minilm``, plugins).
        train, test: labelled examples (synthetic train, real test).
        label_names: class order (default: sorted labels of train and test).
        seeds: a count (seeds 0..n-1) or explicit seeds.
        options: student options (validated by the student's ``Options``).
        save_dir: if set, the first seed's student is saved there (with the scores in student.json).
        pool: where the fits run, one :func:`fit_and_score` job per seed
            (:func:`synthrr.executors.make_fit_pool`; default: one after another in this process).
    """
    cls = STUDENTS.get(student)
    seeds_fitted = fit_seeds(student, seeds)
    names = list(label_names) if label_names is not None else sorted({e.label for e in train} | {e.label for e in test})
    validated = cls(**(options or {})).options.model_dump()  # a bad option fails here, before any fit
    data = FitData(
        [e.text for e in train], [e.label for e in train], names, [e.text for e in test], [e.label for e in test]
    )
    keep = save_dir is not None
    jobs = [FitJob(student, dict(options or {}), s, keep and i == 0) for i, s in enumerate(seeds_fitted)]
    t_start = time.perf_counter()
    results = (pool or LocalFitPool()).map(data, jobs)
    runs = [run for run, _ in results]
    acc = [r["accuracy"] for r in runs]
    f1 = [r["macro_f1"] for r in runs]
    result = StudentScore(
        student=student,
        options=validated,
        n_train=len(train),
        n_test=len(test),
        seeds=seeds_fitted,
        accuracy_mean=float(np.mean(acc)),
        accuracy_std=_std(acc),
        macro_f1_mean=float(np.mean(f1)),
        macro_f1_std=_std(f1),
        runs=runs,
        seconds=time.perf_counter() - t_start,
    )
    first = results[0][1]
    if save_dir is not None and first is not None:
        _save_first(first, result, save_dir, save_extra)
    return result


def _save_first(student: Any, result: StudentScore, save_dir: str | Path, save_extra: dict[str, Any] | None) -> None:
    """Save the first seed's student with its scores (and ``save_extra``) in ``student.json``."""
    extra = {"seed": result.seeds[0], "scores": {k: v for k, v in result.to_dict().items() if k != "options"}}
    extra.update(save_extra or {})
    student.save(save_dir, extra=extra)
    result.model_dir = str(save_dir)
