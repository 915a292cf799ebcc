"""Export a run as a dataset others can load: a Hugging Face ``DatasetDict`` folder
(``save_to_disk``), Parquet, JSONL or CSV, always with a dataset card (``README.md`` with YAML
metadata: task, labels, method, model, sizes, provenance columns, how it was made, metrics if the
run was evaluated) and, on request, uploaded to the Hugging Face Hub.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthrr.errors import UsageError

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


def _meta(manifest: Mapping[str, Any], labels: list[str], rows: int) -> dict[str, Any]:
    """The card's YAML metadata (the Hub reads task_categories, language, size_categories, tags, license)."""
    model = manifest.get("model", {})
    return {
        "task_categories": ["text-classification"],
        "language": ["en"],
        "size_categories": [_size_category(rows)],
        "tags": ["synthetic", "synthrr", str(manifest.get("method", ""))],
        "license": "other",
        "synthrr": {
            "task": manifest.get("task"),
            "labels": labels,
            "method": manifest.get("method"),
            "model": model.get("label") or model.get("identity"),
            "model_identity": model.get("identity"),
            "rows": rows,
            "fingerprint": manifest.get("fingerprint"),
        },
    }


def _how(manifest: Mapping[str, Any], labels: list[str]) -> list[str]:
    cfg = manifest.get("config", {})
    counts = manifest.get("counts", {})
    dump = json.dumps
    return [
        "## How it was made",
        "",
        f"- Task `{manifest.get('task')}`, labels {', '.join(labels)}; run `{manifest.get('fingerprint')}`.",
        f"- LLM `{manifest.get('model', {}).get('identity')}`, sampling "
        f"`{dump(cfg.get('llm', {}).get('sampling', {}), sort_keys=True)}`.",
        f"- Prompts {counts.get('prompts')}, kept {counts.get('kept')}; dropped by the filters: "
        f"{dump(manifest.get('drops', {}), sort_keys=True)}.",
        f"- Filters: `{dump(cfg.get('synthesis', {}).get('filters', {}), sort_keys=True)}`.",
        f"- Versions: `{dump(manifest.get('versions', {}), sort_keys=True)}`.",
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
            shown = {k: v for k, v in value.items() if isinstance(v, int | float)}
            lines.append(f"- {name}: `{json.dumps(shown, sort_keys=True)}`")
    return [*lines, ""]


LICENSE_NOTE = (
    "Generated text: check the license of the generating model and, for retrieval-based methods, of the "
    "corpus whose passages the texts were written from; the seed examples come from the task's train "
    "split. Synthetic labels can be wrong: the `confidence` column and the filters reduce, not remove, "
    "label noise."
)


def dataset_card(manifest: Mapping[str, Any], labels: list[str], frame: Any, metrics: Mapping[str, Any]) -> str:
    """The dataset card: YAML metadata, then what the data is, how it was made, what was measured."""
    import yaml

    model = manifest.get("model", {})
    method = manifest.get("method")
    counts = Counter(frame["label"])
    corpus = manifest.get("config", {}).get("corpus", {}).get("name")
    shots = manifest.get("config", {}).get("synthesis", {}).get("shots")
    source = f", passages retrieved from corpus `{corpus}`" if method == "synthesizrr" else ""
    lines = [
        "---",
        yaml.safe_dump(_meta(manifest, labels, len(frame)), sort_keys=False).strip(),
        "---",
        "",
        f"# Synthetic {manifest.get('task')} data ({method})",
        "",
        f"{len(frame)} labelled texts generated by `{model.get('label') or model.get('identity')}` with synthrr "
        f"(method `{method}`, {shots} in-context demonstrations{source}).",
        "",
        "| label | rows |",
        "|---|---:|",
        *(f"| {lab} | {counts.get(lab, 0)} |" for lab in labels),
        "",
        *_how(manifest, labels),
        "",
        "## Columns",
        "",
        *(f"- `{c}`: {COLUMNS.get(c, '')}" for c in frame.columns),
        "",
        *_measured(metrics),
        "## License and use",
        "",
        LICENSE_NOTE,
        "",
    ]
    return "\n".join(lines)


def export_run(run: Any, out: Path, fmt: str = "hf") -> Path:
    """Write ``run`` (a :class:`~synthrr.api.SynthesisResult`) to the folder ``out`` in ``fmt`` with
    its dataset card; returns ``out``. An existing non-empty ``out`` is refused."""
    from synthrr.io import writable_dir
    from synthrr.rundir import read_metrics

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'; use one of {', '.join(FORMATS)}")
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: exists and is not an empty folder; give a new folder")
    writable_dir(out, "export folder")
    frame = run.to_pandas()
    labels = run.labels
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "hf":
        from synthrr.errors import require

        datasets = require("the hf export format", "datasets", "datasets")
        datasets.DatasetDict({"train": run.to_hf()}).save_to_disk(str(out))
    else:
        from synthrr.io import write_table

        write_table(frame, out / f"train.{fmt}")
    card = dataset_card(run.manifest.to_dict(), labels, frame, read_metrics(run.run_dir))
    (out / "README.md").write_text(card, encoding="utf-8")
    return out


def push_to_hub(folder: Path, repo: str, *, private: bool = True, token: str | None = None) -> str:
    """Upload an export folder to the Hub as dataset ``repo`` (created if missing, private by
    default); returns the dataset's URL. Needs network access and a token (``HF_TOKEN``)."""
    from synthrr.errors import require

    hub = require("--push-to-hub", "datasets", "huggingface_hub")
    api = hub.HfApi(token=token)
    api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="dataset")
    return f"https://huggingface.co/datasets/{repo}"
