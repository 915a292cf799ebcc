"""Deterministic, content-addressed train/validation/test splits.

The scheme (documented in ``docs/tasks.md``):

1. every text is whitespace-normalised and keyed by its content hash
   (the first 16 hex digits of BLAKE2b of the UTF-8 text, the same hash as the example id);
2. exact duplicates collapse to their first occurrence, so a text lands in one split only;
3. per label, the unique texts are sorted by their hash; the first ``n_test`` go to ``test``,
   the next ``n_validation`` to ``validation`` and the rest to ``train``.

Sorting by a hash is a pseudo-random permutation that depends only on the texts, never on
row order, ``PYTHONHASHSEED`` or the platform. Within each split the examples keep the order
in which they first appear in the source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from synthrr.core.records import Example
from synthrr.core.text import content_id

SPLITS = ("train", "validation", "test")
SplitSize = int | float


def split_key(text: str) -> str:
    """The content hash used to order texts: 16 hex digits of BLAKE2b-64 of the UTF-8 text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def example_id(task: str, text: str) -> str:
    """Stable example id: ``f"{task}-{split_key(text)}"`` (:func:`synthrr.core.text.content_id`)."""
    return content_id(text, prefix=task)


def dedupe(examples: Iterable[Example]) -> list[Example]:
    """Drop exact-duplicate texts, keeping the first occurrence."""
    seen: set[str] = set()
    out: list[Example] = []
    for ex in examples:
        if ex.text not in seen:
            seen.add(ex.text)
            out.append(ex)
    return out


def quotas(n_by_label: dict[str, int], size: SplitSize) -> dict[str, int]:
    """How many examples of each label a split of ``size`` takes.

    An ``int`` is a total, shared equally by the labels (the remainder goes to the first labels
    in order); a ``float`` in (0, 1) is a fraction of each label's examples, rounded half up.
    """
    labels = list(n_by_label)
    if isinstance(size, bool) or size < 0:
        raise ValueError(f"split size must be a non-negative int or a fraction, got {size!r}")
    if isinstance(size, int):
        base, rem = divmod(size, len(labels))
        return {lab: base + (1 if i < rem else 0) for i, lab in enumerate(labels)}
    if not 0.0 <= size < 1.0:
        raise ValueError(f"a split fraction must be in [0, 1), got {size!r}")
    return {lab: int(n * size + 0.5) for lab, n in n_by_label.items()}


def hash_split(
    examples: Iterable[Example], labels: Sequence[str], *, test: SplitSize, validation: SplitSize
) -> dict[str, list[Example]]:
    """Split labelled examples into ``train`` / ``validation`` / ``test``, stratified by label.

    ``test`` and ``validation`` are sizes as in :func:`quotas`; ``train`` gets the rest.
    Raises ``ValueError`` if a label is not in ``labels`` or has too few examples for its quota.
    """
    first: dict[str, Example] = {}
    for ex in examples:
        first.setdefault(split_key(ex.text), ex)
    by_label: dict[str, list[str]] = {lab: [] for lab in labels}
    for key, ex in first.items():
        if ex.label not in by_label:
            raise ValueError(f"label {ex.label!r} is not one of {', '.join(labels)}")
        by_label[ex.label].append(key)
    n_by_label = {lab: len(keys) for lab, keys in by_label.items()}
    n_test, n_val = quotas(n_by_label, test), quotas(n_by_label, validation)
    assigned: dict[str, str] = {}
    for lab, keys in by_label.items():
        need = n_test[lab] + n_val[lab]
        if need > len(keys):
            raise ValueError(
                f"label {lab!r} has {len(keys)} unique examples, fewer than the {need} its "
                f"test ({n_test[lab]}) and validation ({n_val[lab]}) splits need"
            )
        keys.sort()
        for i, key in enumerate(keys):
            assigned[key] = "test" if i < n_test[lab] else "validation" if i < need else "train"
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for key, ex in first.items():  # dicts keep insertion order: first occurrence in the source
        out[assigned[key]].append(ex)
    return out
