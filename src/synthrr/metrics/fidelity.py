"""Label preservation: does a classifier trained on real data agree with the intended labels?
(The SynthesizRR paper's ``LabelPreservation``, Divekar & Durrett 2024.)

    accuracy = (1/N) sum_i [oracle(x_i) = y_i],     macro-F1 over the task's labels (scikit-learn)

where y_i is the label each synthetic text x_i was generated for. The paper's oracle is
DeBERTa-v3-large fine-tuned on the full gold train set; ours is a student trained on the task's
**full real train split** — by default the ``tfidf`` student (TF-IDF 1-2-grams + logistic
regression: seconds on a CPU), optionally ``minilm``. Trained oracles are cached under
``synthrr.core.paths.subdir("oracles")``, keyed by the task's train data and the oracle's settings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from synthrr.core.paths import safe_name, subdir
from synthrr.core.text import stable_hash
from synthrr.students.base import get_student, load_student
from synthrr.students.distill import scores

if TYPE_CHECKING:
    from synthrr.metrics.base import MetricInput
    from synthrr.students.base import BaseStudent
    from synthrr.tasks.base import Task


def label_preservation(
    predicted: Sequence[str], intended: Sequence[str], label_names: Sequence[str] | None = None
) -> dict[str, float]:
    """Accuracy and macro-F1 of oracle predictions against the intended labels."""
    if len(predicted) != len(intended):
        raise ValueError(f"{len(predicted)} predictions but {len(intended)} labels")
    return scores(intended, predicted, label_names)


def oracle_key(task: Task, kind: str, options: dict[str, Any] | None = None) -> str:
    """Cache key of an oracle: task name, train split content (ids and labels), kind, options."""
    train = task.load_split("train")
    data = stable_hash(*(f"{e.id}\t{e.label}" for e in train), size=8)
    opts = json.dumps(options or {}, sort_keys=True)
    return f"{safe_name(task.name, 'task')}-{safe_name(kind, 'oracle')}-{stable_hash(data, kind, opts, size=6)}"


def get_oracle(
    task: Task,
    kind: str = "tfidf",
    *,
    options: dict[str, Any] | None = None,
    cache: bool = True,
) -> tuple[BaseStudent, dict[str, Any]]:
    """The oracle of ``task``: a ``kind`` student trained on the full real train split.

    Returns ``(student, info)``; ``info`` names the oracle and says whether it came from the cache.
    """
    key = oracle_key(task, kind, options)
    folder = subdir("oracles") / key
    info: dict[str, Any] = {"oracle": f"{kind} student trained on {task.name} train (full split)", "key": key}
    if cache and (folder / "student.json").is_file():
        info["cached"] = True
        return load_student(folder), info
    train = task.load_split("train")
    t0 = time.perf_counter()
    student = get_student(kind, **(options or {}))
    student.fit([e.text for e in train], [e.label for e in train], label_names=task.spec.label_names)
    info.update(cached=False, fit_s=round(time.perf_counter() - t0, 3), n_train=len(train))
    if cache:
        student.save(folder, extra={"task": task.name, "role": "label-preservation oracle", "n_train": len(train)})
    return student, info


def label_preservation_metric(inp: MetricInput) -> dict[str, Any]:
    """Label preservation of the synthetic texts under the task's oracle (registry adapter)."""
    task = inp.require_task("label_preservation")
    kind = inp.options.get("oracle", "tfidf")
    oracle, info = get_oracle(task, kind, options=inp.options.get("oracle_options"))
    result: dict[str, Any] = label_preservation(oracle.predict(inp.texts), inp.labels, task.spec.label_names)
    result.update(info)
    return result
