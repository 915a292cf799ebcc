"""Content-addressed cache of the label verifier: fitted seed classifiers and their verdicts.

A rerun sees the same seed set and, with every LLM answer cached, the same candidates; so the
verifier's work is cached like the LLM's, by content:

- **classifier key** = hash of the feature set, the sentence encoder's identity (for ``minilm``
  features), the classifier's settings and random seed, the library versions that shape the
  features or the fit, and every seed's text and label, in order. A changed seed set or model is
  another key, so it is fitted anew; never a stale classifier.
- **verdict key** = hash of the classifier key and one candidate's text; the value is the
  classifier's probability of each label for that text.

Layout under ``$SYNTHRR_HOME/verifier/``: ``classifiers/<key>.pkl`` (the fitted model, written
atomically; one that does not load is refitted and replaced) and ``verdicts.sqlite`` (one row per
verdict, WAL mode, so several runs can share it). A rerun whose candidates all have verdicts loads
neither a classifier nor the sentence encoder.
"""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from synthrr.core.io import atomic_open
from synthrr.core.paths import subdir
from synthrr.core.text import stable_hash

log = logging.getLogger(__name__)

#: bump when a cached classifier or verdict would no longer be what the code computes
VERSION = 1
#: libraries whose version changes the features or the fit
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "torch", "sentence-transformers", "transformers")
_CHUNK = 500  # keys per SELECT ... IN (...)

#: a verdict: each label the classifier knows and its probability, in the classifier's class order
Verdict = list[tuple[str, float]]


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a verdict depends on (absent ones as ``-``)."""
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def classifier_key(texts: Sequence[str], labels: Sequence[str], settings: dict[str, Any]) -> str:
    """The content key of a classifier fitted with ``settings`` on these seeds (texts and labels in order)."""
    head = json.dumps({"v": VERSION, "settings": settings, "libraries": library_versions()}, sort_keys=True)
    return stable_hash(head, *(f"{label}\x1f{text}" for text, label in zip(texts, labels, strict=True)), size=16)


def verdict_key(classifier: str, text: str) -> str:
    return stable_hash(classifier, text, size=16)


class VerifierCache:
    """Fitted classifiers (pickles) and verdicts (SQLite) under ``root``; counts its hits in ``stats``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else subdir("verifier")
        self.stats: Counter[str] = Counter()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    # ---- classifiers ------------------------------------------------------------------------
    def _model_path(self, key: str) -> Path:
        return self.root / "classifiers" / f"{key}.pkl"

    def load_model(self, key: str) -> Any | None:
        """The classifier stored under ``key``, or ``None`` (missing or unreadable: refit it)."""
        path = self._model_path(key)
        if not path.is_file():
            self.stats["classifier_misses"] += 1
            return None
        try:
            with path.open("rb") as fh:
                model = pickle.load(fh)  # written by save_model under the user's own cache root
        except Exception as e:  # a truncated or foreign file: a miss, replaced by the refit
            log.warning("ignoring unreadable cached label verifier %s (%s); fitting it again", path.name, e)
            self.stats["classifier_misses"] += 1
            return None
        self.stats["classifier_hits"] += 1
        return model

    def save_model(self, key: str, model: Any) -> None:
        with atomic_open(self._model_path(key), "wb", encoding=None) as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)

    # ---- verdicts ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.root.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.root / "verdicts.sqlite", timeout=60, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, proba TEXT NOT NULL) WITHOUT ROWID")
            db.commit()
            self._db = db
        return self._db

    def get_verdicts(self, keys: Iterable[str]) -> dict[str, Verdict]:
        """The stored verdicts of ``keys`` (those it has); a row that does not parse is a miss."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Verdict] = {}
        try:
            if self._broken:
                raise sqlite3.OperationalError("unusable")
            db = self._conn()
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, proba in db.execute(f"SELECT key, proba FROM verdicts WHERE key IN ({marks})", chunk):
                    parsed = _parse(proba)
                    if parsed is not None:
                        found[key] = parsed
        except sqlite3.Error as e:
            self._unusable(e)
        self.stats["verdict_hits"] += len(found)
        self.stats["verdict_misses"] += len(wanted) - len(found)
        return found

    def put_verdicts(self, verdicts: dict[str, Verdict]) -> None:
        if self._broken:
            return
        try:
            db = self._conn()
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO verdicts (key, proba) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in verdicts.items()],
                )
        except sqlite3.Error as e:
            self._unusable(e)

    def _unusable(self, error: sqlite3.Error) -> None:
        """A damaged or locked verdict store slows runs down but never stops one (warned once)."""
        if self._broken:
            return
        self._broken = True
        log.warning(
            "label-verifier cache %s is not usable (%s); verdicts are computed afresh (delete the file to reset it)",
            self.root / "verdicts.sqlite",
            error,
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _parse(proba: str) -> Verdict | None:
    try:
        pairs = json.loads(proba)
        return [(str(label), float(p)) for label, p in pairs]
    except (ValueError, TypeError):
        return None
