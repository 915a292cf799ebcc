"""The student protocol and its registry.

A student is a text classifier trained on (synthetic) examples: ``fit``, ``predict`` /
``predict_proba``, ``save`` and ``load``. Built-ins:

* ``tfidf`` (:class:`~synthrr.students.tfidf.TfidfStudent`): word 1-2-gram TF-IDF + logistic
  regression; seconds on a CPU, deterministic.
* ``minilm`` (:class:`~synthrr.students.minilm.MiniLMStudent`): fine-tunes the packaged
  all-MiniLM-L6-v2 encoder with a classification head (the paper's recipe); GPU when present.

Third-party students register through the ``synthrr.students`` entry-point group.

A saved student is a folder::

    student.json   {"type", "labels", "options", "format": 1, ...extra (task, seeds, metrics)}
    labels.json    {"id2label": {"0": ...}, "label2id": {...}}
    ...            the model files of the student type (model.joblib, model/)
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict

from synthrr.core.errors import InputError, SynthrrError, parse_options
from synthrr.core.io import atomic_dir, write_json
from synthrr.core.registry import Registry
from synthrr.students.card import model_card

if TYPE_CHECKING:
    import numpy as np

S = TypeVar("S", bound="BaseStudent")
FORMAT = 1


@runtime_checkable
class Student(Protocol):
    """What distillation and ``synthrr predict`` need from a classifier."""

    name: ClassVar[str]
    labels: list[str]

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        label_names: Sequence[str] | None = None,
        seed: int = 0,
    ) -> Student: ...

    def predict(self, texts: Sequence[str]) -> list[str]: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path: ...


class StudentOptions(BaseModel):
    """Base of each student's options: unknown keys are errors naming the field."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class BaseStudent(ABC):
    """Shared plumbing: validated options, label bookkeeping, the saved-folder format."""

    name: ClassVar[str] = ""
    #: True when the seed does not change the fitted model (multi-seed runs then fit once)
    deterministic: ClassVar[bool] = False
    Options: ClassVar[type[StudentOptions]] = StudentOptions

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(self.Options, options, prefix="student.", owner=f"student '{self.name}'")
        self.labels: list[str] = []

    # ---- to implement -----------------------------------------------------------------------
    @abstractmethod
    def fit(
        self: S,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        label_names: Sequence[str] | None = None,
        seed: int = 0,
    ) -> S:
        """Train on ``texts``/``labels``; ``label_names`` fixes the output classes and their order."""

    @abstractmethod
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(self.labels)) class probabilities, columns in :attr:`labels` order."""

    @abstractmethod
    def _save_model(self, folder: Path) -> None: ...

    @abstractmethod
    def _load_model(self, folder: Path) -> None: ...

    # ---- shared -----------------------------------------------------------------------------
    def _set_labels(self, labels: Sequence[str], label_names: Sequence[str] | None) -> list[str]:
        present = sorted(set(labels))
        if label_names is None:
            names = present
        else:
            names = list(label_names)
            unknown = sorted(set(present) - set(names))
            if unknown:
                raise ValueError(f"training labels {unknown} are not in label_names {names}")
        if len(set(labels)) < 2:
            raise ValueError(f"a student needs at least 2 labels in its training data, got {present}")
        self.labels = names
        return names

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        if not len(texts):
            return []
        proba = self.predict_proba(texts)
        return [self.labels[int(i)] for i in proba.argmax(axis=1)]

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the student folder (model, label map, ``student.json`` with ``extra`` merged in)."""
        if not self.labels:
            raise ValueError("cannot save a student that has not been fitted")
        folder = Path(path)
        with atomic_dir(folder) as tmp:
            self._save_model(tmp)
            write_json(
                tmp / "labels.json",
                {
                    "id2label": {str(i): lab for i, lab in enumerate(self.labels)},
                    "label2id": {lab: i for i, lab in enumerate(self.labels)},
                },
            )
            meta = {"type": self.name, "format": FORMAT, "labels": self.labels, "options": self.options.model_dump()}
            meta.update(extra or {})
            write_json(tmp / "student.json", meta)

            (tmp / "README.md").write_text(model_card(meta), encoding="utf-8")
        return folder

    @classmethod
    def load(cls: type[S], path: str | Path) -> S:
        """A student saved by :meth:`save`."""
        folder = Path(path)
        meta = read_student_json(folder)
        obj = cls(**meta.get("options", {}))
        obj.labels = [str(x) for x in meta["labels"]]
        try:
            obj._load_model(folder)
        except SynthrrError:
            raise
        except Exception as e:  # joblib, pickle, torch and safetensors raise many types for a bad file
            why = (str(e).strip().splitlines() or [""])[0][:200]
            raise InputError(
                folder, f"the saved {cls.name} student cannot be loaded ({type(e).__name__}: {why}); save it again"
            ) from None
        return obj


STUDENTS: Registry[type[BaseStudent]] = Registry(
    "student",
    "synthrr.students",
    {
        "tfidf": "synthrr.students.tfidf:TfidfStudent",
        "minilm": "synthrr.students.minilm:MiniLMStudent",
    },
)


def get_student(name: str, **options: Any) -> BaseStudent:
    """A new, unfitted student of a registered type (unknown names list the known ones)."""
    return STUDENTS.get(name)(**options)


def read_student_json(folder: Path) -> dict[str, Any]:
    meta_path = folder / "student.json"
    if not meta_path.is_file():
        raise InputError(folder, "not a saved student folder (no student.json)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(meta_path, f"malformed JSON: {e.msg}", line=e.lineno) from None
    if not isinstance(meta, dict) or "type" not in meta or "labels" not in meta:
        raise InputError(meta_path, "expected an object with 'type' and 'labels'")
    return meta


def load_student(path: str | Path) -> BaseStudent:
    """Load any saved student folder; its ``student.json`` names the type."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InputError(folder, "student folder not found")
    meta = read_student_json(folder)
    return STUDENTS.get(str(meta["type"])).load(folder)
