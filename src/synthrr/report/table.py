"""The comparison table: one row per run (or Gold) from its ``metrics.json``, as Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from synthrr.manifest import GoldEvaluation, RunMetrics


def get(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


class CompareRow(TypedDict):
    """One row of the comparison table (``compare.json``, ``compare.csv``): a run's or Gold's
    headline metrics and its student's scores; ``None`` where not measured."""

    name: str
    task: str | None
    method: str | None
    n: int | None
    self_bleu_5: float | None
    distinct_2: float | None
    entity_entropy: float | None
    within_cosine: float | None
    mauve: float | None
    label_preservation: float | None
    student: str | None
    accuracy_mean: float | None
    accuracy_std: float | None
    macro_f1_mean: float | None
    macro_f1_std: float | None
    student_fits: int | None
    n_test: int | None
    run_dir: str | None


def table_row(name: str, evaluation: RunMetrics | GoldEvaluation | None, student: str) -> CompareRow:
    """One comparison row from a run's ``metrics.json`` (``None``: not measured) or a Gold evaluation."""
    metrics = evaluation.metrics if evaluation is not None else {}
    st = evaluation.students.get(student) if evaluation is not None else None
    return {
        "name": name,
        "task": evaluation.task or None if evaluation is not None else None,
        "method": evaluation.method or None if evaluation is not None else None,
        "n": evaluation.n or None if evaluation is not None else None,
        "self_bleu_5": get(metrics, "self_bleu", "self_bleu_5"),
        "distinct_2": get(metrics, "distinct", "distinct_2"),
        "entity_entropy": get(metrics, "entity_entropy", "overall"),
        "within_cosine": get(metrics, "cosine", "within"),
        "mauve": get(metrics, "mauve", "mauve"),
        "label_preservation": get(metrics, "label_preservation", "accuracy"),
        "student": student if st is not None else None,
        "accuracy_mean": st.accuracy_mean if st is not None else None,
        "accuracy_std": st.accuracy_std if st is not None else None,
        "macro_f1_mean": st.macro_f1_mean if st is not None else None,
        "macro_f1_std": st.macro_f1_std if st is not None else None,
        "student_fits": len(st.runs) if st is not None else None,
        "n_test": st.n_test if st is not None else None,
        "run_dir": evaluation.run or None if isinstance(evaluation, RunMetrics) else None,
    }


COLUMNS = [
    ("name", "run"),
    ("method", "method"),
    ("n", "n"),
    ("self_bleu_5", "Self-BLEU-5 ↓"),
    ("distinct_2", "distinct-2 ↑"),
    ("entity_entropy", "entity entropy ↑"),
    ("within_cosine", "within-label cos ↓"),
    ("mauve", "MAUVE ↑"),
    ("label_preservation", "label pres. % ↑"),
    ("accuracy", "student acc. % ↑"),
    ("macro_f1", "macro-F1 % ↑"),
]


def cell(row: Mapping[str, Any], key: str) -> str:
    if key in ("accuracy", "macro_f1"):
        mean, std = row.get(f"{key}_mean"), row.get(f"{key}_std")
        return "—" if mean is None else f"{100 * mean:.1f} ± {100 * (std or 0.0):.1f}"
    v = row.get(key)
    if v is None:
        return "—"
    if key == "label_preservation":
        return f"{100 * v:.1f}"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def format_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The comparison table in Markdown (one row per run, Gold rows first per task)."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    sep = "|" + "|".join("---" if k in ("name", "method") else "---:" for k, _ in COLUMNS) + "|"
    body = ["| " + " | ".join(cell(r, k) for k, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])
