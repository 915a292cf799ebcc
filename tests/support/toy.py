"""A toy two-label task spec for prompt and method tests."""

from __future__ import annotations

from synthrr.core.records import Example
from synthrr.tasks.base import LabelSpec, TaskSpec

SPEC = TaskSpec(
    name="toy",
    kind="sentiment",
    labels=(
        LabelSpec(name="negative", verbalization="what the reviewer disliked about the movie"),
        LabelSpec(name="positive", verbalization="what the reviewer liked about the movie"),
    ),
    context_header="Movie details:",
    answer_prefix="Review:",
    max_new_tokens=64,
    templates={
        "synthesizrr": "Write a short movie review of the movie above that discusses {verbalization}.",
        "fewgen": "Write a short movie review that discusses {verbalization}.",
        "zerogen": "Write a short {label} movie review.",
    },
)

#: four seeds of the toy task, two per label
SEEDS = [
    Example("s1", "A joyless, plodding mess.", "negative"),
    Example("s2", "Dull from start to finish.", "negative"),
    Example("s3", "A warm and funny delight.", "positive"),
    Example("s4", "Gorgeous, moving and smart.", "positive"),
]
