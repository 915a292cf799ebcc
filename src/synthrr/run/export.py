"""Export a run as a dataset others can load: a Hugging Face ``DatasetDict`` folder
(``save_to_disk``), Parquet, JSONL or CSV, always with a dataset card (``README.md`` with YAML
metadata: task, labels, method, model, sizes, provenance columns, how it was made, metrics if the
run was evaluated) and, on request, uploaded to the Hugging Face Hub.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from synthrr.core.errors import SynthrrError, UsageError, did_you_mean, require
from synthrr.core.io import atomic_dir, writable_dir, write_table
from synthrr.core.log import progress_enabled, quiet
from synthrr.core.paths import display_name
from synthrr.run.rundir import read_metrics
from synthrr.synth.methods import METHODS

FORMATS = ("hf", "parquet", "jsonl", "csv")

#: provenance columns of data.parquet, described in the card
COLUMNS = {
    "id": "content hash of the example",
    "text": "the generated text",
    "label": "its label (a ClassLabel in the hf format)",
    "method": "synthesis method (synthesizrr, fewgen, zerogen, supergen, attrprompt, progen, regen)",
    "job_id": "the prompt job that produced it",
    "prompt_hash": "hash of the exact prompt sent to the LLM",
    "model": "identity of the LLM (masked of credentials)",
    "sample": "sample index for the prompt",
    "piece": "piece index when one completion held several examples",
    "seed_id": "the seed example the prompt was built for",
    "passage_id": "the retrieved corpus passage it was written from (SynthesizRR)",
    "rank": "that passage's retrieval rank for the seed",
    "score": "its retrieval score",
    "demo_ids": "ids of the in-context demonstrations",
    "block": "demonstration block (prompts sharing one draw of demonstrations)",
    "confidence": "the label verifier's probability for its label",
    "logprob": "mean token log-probability of its completion under the generator (SuperGen)",
    "verdict": "filter verdict (always kept here)",
}


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def _uses_corpus(method: str) -> bool:
    """Whether ``method`` writes from (or selects) corpus passages, so the card names the corpus."""
    try:
        cls = METHODS.get(method)
    except SynthrrError:
        return method == "synthesizrr"
    return bool(cls.needs_retrieval or cls.needs_index)


def _sources(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """The task file and the corpus the run used, as :func:`~synthrr.core.paths.display_name` shows them."""
    cfg = manifest.get("config", {})
    corpus = cfg.get("corpus", {}).get("name") if _uses_corpus(str(manifest.get("method"))) else None
    task = cfg.get("task")
    return {
        "task_source": display_name(task) if task and task != manifest.get("task") else None,
        "corpus": display_name(corpus),
    }


def _code(name: str) -> str:
    """A display name in Markdown code spans: ```tiny.jsonl` (fingerprint `08ce0b36`)``."""
    head, sep, tail = name.partition(" (fingerprint ")
    return f"`{head}` (fingerprint `{tail.rstrip(')')}`)" if sep else f"`{name}`"


def _meta(manifest: Mapping[str, Any], labels: list[str], frame: Any) -> dict[str, Any]:
    """The card's YAML metadata (the Hub reads task_categories, language, size_categories, tags, license)."""
    model = manifest.get("model", {})
    sources = {k: v for k, v in _sources(manifest).items() if v}
    return {
        "task_categories": ["text-classification"],
        "language": ["en"],
        "size_categories": [_size_category(len(frame))],
        "tags": ["synthetic", "synthrr", str(manifest.get("method", ""))],
        "license": "other",
        "synthrr": {
            "task": manifest.get("task"),
            **sources,
            "labels": labels,
            "method": manifest.get("method"),
            "model": model.get("label") or model.get("identity"),
            "model_identity": model.get("identity"),
            "rows": len(frame),
            "columns": list(frame.columns),
            "fingerprint": manifest.get("fingerprint"),
        },
    }


def _word(value: Any) -> str:
    """A setting's value in words: ``none`` for null or empty, lists joined with ``/``, numbers short."""
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "/".join(_word(v) for v in value)
    if isinstance(value, Mapping):
        return "(" + _settings(value) + ")"
    return str(value)


def _settings(values: Mapping[str, Any]) -> str:
    """``key value`` pairs in prose (``temperature 0.95, top_p 0.9``), ``none`` when empty."""
    return ", ".join(f"{k} {_word(v)}" for k, v in values.items()) or "none"


def demonstrations(frame: Any) -> str:
    """How many in-context demonstrations the rows' prompts held, from their ``demo_ids``:
    ``2 in-context demonstrations``, ``2–3 in-context demonstrations (median 2)``, or ``""``."""
    if "demo_ids" not in getattr(frame, "columns", ()) or not len(frame):
        return ""
    counts = [0 if ids is None or isinstance(ids, float) else len(ids) for ids in frame["demo_ids"]]
    low, high = min(counts), max(counts)
    if high == 0:
        return "no in-context demonstrations"
    noun = "demonstration" if high == 1 else "demonstrations"
    if low == high:
        return f"{low} in-context {noun}"
    return f"{low}–{high} in-context {noun} (median {statistics.median(counts):g})"


def _summary(manifest: Mapping[str, Any], frame: Any) -> str:
    """The card's opening sentence: how many texts, from which model and method, with what context."""
    model = manifest.get("model", {})
    method = manifest.get("method")
    corpus = _sources(manifest)["corpus"]
    held = [d for d in (demonstrations(frame),) if d]
    if corpus and manifest.get("model", {}).get("backend") == "none":
        return f"{len(frame)} labelled texts selected by synthrr (method `{method}`) from the corpus {_code(corpus)}."
    if corpus:
        held.append(f"a passage retrieved from the corpus {_code(corpus)}")
    context = f"; each prompt held {' and '.join(held)}" if held else ""
    who = model.get("label") or model.get("identity")
    return f"{len(frame)} labelled texts generated by `{who}` with synthrr (method `{method}`{context})."


def _drops(drops: Mapping[str, int]) -> list[str]:
    """Filter drops as a sentence when there are none, else as a small table."""
    dropped = {k: v for k, v in drops.items() if v}
    if not dropped:
        return ["- Dropped by the filters: none."]
    table = [f"| {reason.replace('_', ' ')} | {n} |" for reason, n in sorted(dropped.items(), key=lambda kv: -kv[1])]
    return [f"- Dropped by the filters: {sum(dropped.values())} candidates:", "", "  | reason | dropped |",
            "  |---|---:|", *(f"  {row}" for row in table), ""]  # fmt: skip


def _how(manifest: Mapping[str, Any], labels: list[str], frame: Any) -> list[str]:
    cfg = manifest.get("config", {})
    counts = manifest.get("counts", {})
    task_source = _sources(manifest)["task_source"]
    source = f" (from {_code(task_source)})" if task_source else ""
    return [
        "## How it was made",
        "",
        f"- Task `{manifest.get('task')}`{source}, labels {', '.join(labels)}; run `{manifest.get('fingerprint')}`.",
        f"- LLM `{manifest.get('model', {}).get('identity')}`; sampling: "
        f"{_settings(cfg.get('llm', {}).get('sampling', {}))}.",
        f"- {counts.get('prompts', 0)} prompts; {len(frame)} examples kept.",
        *_drops(manifest.get("drops", {})),
        f"- Filters: {_settings(cfg.get('synthesis', {}).get('filters', {}))}.",
        f"- Versions: {_settings(manifest.get('versions', {}))}.",
    ]


def _measured(metrics: Mapping[str, Any]) -> list[str]:
    if not metrics:
        return []
    lines = ["## Measured (synthrr evaluate)", ""]
    for name, st in metrics.get("students", {}).items():
        if st.get("accuracy_mean") is not None:
            lines.append(
                f"- `{name}` student trained on this data: accuracy {100 * st['accuracy_mean']:.1f} % on "
                f"{st.get('n_test')} real `{st.get('test_split', 'test')}` examples"
            )
    for name, value in metrics.get("metrics", {}).items():
        if isinstance(value, Mapping) and "error" not in value:
            shown = {k: v for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)}
            if shown:
                lines.append(f"- {name}: {_settings(shown)}")
    return [*lines, ""]


LICENSE_NOTE = (
    "Generated text: check the license of the generating model and, for retrieval-based methods, of the "
    "corpus whose passages the texts were written from; the seed examples come from the task's train "
    "split. Synthetic labels can be wrong: the `confidence` column and the filters reduce, not remove, "
    "label noise."
)


def dataset_card(
    manifest: Mapping[str, Any],
    labels: list[str],
    frame: Any,
    metrics: Mapping[str, Any],
    columns: list[str] | None = None,
) -> str:
    """The dataset card: YAML metadata, then what the data is, how it was made, what was measured.
    Counts come from the rows of ``frame``; ``columns`` (default: all of them) are those exported.
    A task or corpus given as a path is named by its file name and fingerprint, never its folder."""
    counts = Counter(frame["label"])
    shown = columns or list(frame.columns)
    lines = [
        "---",
        yaml.safe_dump(_meta(manifest, labels, frame[shown]), sort_keys=False, allow_unicode=True).strip(),
        "---",
        "",
        f"# Synthetic {manifest.get('task')} data ({manifest.get('method')})",
        "",
        _summary(manifest, frame),
        "",
        "| label | rows |",
        "|---|---:|",
        *(f"| {lab} | {counts.get(lab, 0)} |" for lab in labels),
        "",
        *_how(manifest, labels, frame),
        "",
        "## Columns",
        "",
        *(f"- `{c}`: {COLUMNS.get(c, '')}" for c in shown),
        "",
        *_measured(metrics),
        "## License and use",
        "",
        LICENSE_NOTE,
        "",
    ]
    return "\n".join(lines)


def select_columns(frame: Any, columns: Sequence[str] | None) -> list[str] | None:
    """``columns`` checked against the rows' columns (order kept, repeats dropped); ``None`` for all.
    An unknown name is a :class:`~synthrr.core.errors.UsageError` naming the known ones."""
    if columns is None:
        return None
    wanted = list(dict.fromkeys(c.strip() for c in columns if c.strip()))
    known = list(frame.columns)
    if not wanted:
        raise UsageError(f"no column to export; give some of: {', '.join(known)}")
    for name in wanted:
        if name not in known:
            hint = did_you_mean(name, known)
            raise UsageError(f"unknown column '{name}' to export{hint}; known columns: {', '.join(known)}")
    return wanted


def _check_out(out: Path, run_dir: Path, overwrite: bool, hint: str) -> None:
    """Refuse an ``out`` that exists and is not empty unless ``overwrite``; even then, refuse one
    that is not an earlier export (no synthrr dataset card) or that holds the run itself."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if not out.is_dir():
        raise UsageError(f"{out}: exists and is a file; give a folder")
    if not overwrite:
        raise UsageError(f"{out}: exists and is not an empty folder; pass {hint} to replace it, or give a new folder")
    card = out / "README.md"
    if not (card.is_file() and "\nsynthrr:\n" in card.read_text(encoding="utf-8", errors="replace")):
        raise UsageError(
            f"{out}: not an earlier synthrr export (no dataset card), so it is not replaced; give a new folder"
        )
    resolved = out.resolve()
    if resolved == run_dir.resolve() or resolved in run_dir.resolve().parents:
        raise UsageError(f"{out}: holds the run being exported; give another folder")


def export_run(
    run: Any,
    out: Path,
    fmt: str = "hf",
    *,
    columns: Sequence[str] | None = None,
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> Path:
    """Write ``run`` (a :class:`~synthrr.api.SynthesisResult`) to the folder ``out`` in ``fmt`` with
    its dataset card; returns ``out``. ``columns`` keeps only those columns. An existing non-empty
    ``out`` is refused unless ``overwrite`` (an earlier export is then replaced whole, atomically);
    ``overwrite_hint`` is how the refusal names that switch. With progress off, without the bars
    ``datasets`` draws while casting and saving."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'; use one of {', '.join(FORMATS)}")
    out = Path(out).expanduser()
    _check_out(out, Path(run.run_dir), overwrite, overwrite_hint)
    writable_dir(out, "export folder")
    frame = run.to_pandas()
    keep = select_columns(frame, columns)
    card = dataset_card(run.manifest.to_dict(), run.labels, frame, read_metrics(run.run_dir) or {}, keep)
    with atomic_dir(out) as tmp:
        if fmt == "hf":
            datasets = require("the hf export format", "datasets", "datasets")
            with quiet(not progress_enabled()):  # datasets is imported now: its bars follow the switch
                ds = run.to_hf()
                datasets.DatasetDict({"train": ds.select_columns(keep) if keep else ds}).save_to_disk(str(tmp))
        else:
            write_table(frame[keep] if keep else frame, tmp / f"train.{fmt}")
        (tmp / "README.md").write_text(card, encoding="utf-8")
    return out


def push_to_hub(folder: Path, repo: str, *, private: bool = True, token: str | None = None) -> str:
    """Upload an export folder to the Hub as dataset ``repo`` (created if missing, private by
    default); returns the dataset's URL. Needs network access and a token (``HF_TOKEN``)."""
    hub = require("--push-to-hub", "datasets", "huggingface_hub")
    api = hub.HfApi(token=token)
    api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="dataset")
    return f"https://huggingface.co/datasets/{repo}"
