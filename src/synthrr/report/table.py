"""The comparison table: one row per run (or Gold) from its ``metrics.json``, as Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def get(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


def table_row(name: str, evaluation: Mapping[str, Any], student: str) -> dict[str, Any]:
    """One comparison row from a ``metrics.json`` (or a Gold evaluation)."""
    st = get(evaluation, "students", student) or {}
    return {
        "name": name,
        "task": evaluation.get("task"),
        "method": evaluation.get("method"),
        "n": evaluation.get("n"),
        "self_bleu_5": get(evaluation, "metrics", "self_bleu", "self_bleu_5"),
        "distinct_2": get(evaluation, "metrics", "distinct", "distinct_2"),
        "entity_entropy": get(evaluation, "metrics", "entity_entropy", "overall"),
        "within_cosine": get(evaluation, "metrics", "cosine", "within"),
        "mauve": get(evaluation, "metrics", "mauve", "mauve"),
        "label_preservation": get(evaluation, "metrics", "label_preservation", "accuracy"),
        "student": student if st else None,
        "accuracy_mean": st.get("accuracy_mean"),
        "accuracy_std": st.get("accuracy_std"),
        "macro_f1_mean": st.get("macro_f1_mean"),
        "macro_f1_std": st.get("macro_f1_std"),
        "student_fits": len(st.get("runs", [])) if st else None,
        "n_test": st.get("n_test"),
        "run_dir": evaluation.get("run"),
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


def cell(row: dict[str, Any], key: str) -> str:
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


def format_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison table in Markdown (one row per run, Gold rows first per task)."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    sep = "|" + "|".join("---" if k in ("name", "method") else "---:" for k, _ in COLUMNS) + "|"
    body = ["| " + " | ".join(cell(r, k) for k, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])
