"""The model card saved beside a student (``README.md``): what it is, what it was trained on, how
well it did, how to use it, and its limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

#: what each student is, for the card
DESCRIPTIONS = {
    "tfidf": "TF-IDF features (word 1-2-grams) and a logistic-regression classifier (scikit-learn)",
    "minilm": "all-MiniLM-L6-v2 fine-tuned end to end with a classification head (PyTorch)",
}


def model_card(meta: Mapping[str, Any]) -> str:
    """A model card from a student's ``student.json`` content."""
    name = str(meta.get("type"))
    labels = list(meta.get("labels", []))
    scores = meta.get("scores", {}) or {}
    header = {
        "library_name": "synthrr",
        "pipeline_tag": "text-classification",
        "tags": ["synthrr", "synthetic-data", name],
        "synthrr": {"student": name, "labels": labels, "task": meta.get("task"), "method": meta.get("method")},
    }
    lines = [
        "---",
        yaml.safe_dump(header, sort_keys=False).strip(),
        "---",
        "",
        f"# {name} student for {meta.get('task', 'a synthrr task')}",
        "",
        f"A {DESCRIPTIONS.get(name, name)} classifying texts into {', '.join(labels)}.",
        "",
        "## Training data",
        "",
        f"- Trained on `{meta.get('trained_on', 'unknown')}` (method `{meta.get('method', 'unknown')}`), "
        f"seed {meta.get('seed')}.",
        f"- Options: `{json.dumps(meta.get('options', {}), sort_keys=True)}`.",
    ]
    if scores.get("accuracy_mean") is not None:
        lines += [
            "",
            "## Evaluation",
            "",
            f"Accuracy {100 * scores['accuracy_mean']:.1f} % and macro-F1 {100 * scores.get('macro_f1_mean', 0):.1f} % "
            f"on {scores.get('n_test')} real test examples (mean over {len(scores.get('runs', [])) or 1} seed(s) "
            "of the same recipe; this folder holds the first).",
        ]
    lines += [
        "",
        "## Use",
        "",
        "```bash",
        'synthrr predict --model THIS_FOLDER "a text to classify"',
        "```",
        "",
        "```python",
        "from synthrr.students import load_student",
        'student = load_student("THIS_FOLDER")',
        'probabilities = student.predict_proba(["a text to classify"])  # columns in the order of labels.json',
        "```",
        "",
        "## Limits",
        "",
        "Trained on synthetic data from a language model: it inherits that model's blind spots and any "
        "label noise the filters let through; check it on real data from your setting before relying on it.",
        "",
    ]
    return "\n".join(lines)
