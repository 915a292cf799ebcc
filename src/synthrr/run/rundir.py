"""The files of a generation run directory, written in one place.

``generate`` writes, each file atomically:

- ``config.yaml``: the resolved run config (round-trips into :class:`~synthrr.config.RunConfig`);
- ``seeds.parquet`` (``id, text, label``): the seed set the run drew;
- ``hits.parquet`` (``seed_id, passage_id, rank, score``): the retrieved passages it used
  (SynthesizRR only);
- ``data.parquet`` / ``data.jsonl``: the kept examples with provenance;
- ``candidates.parquet``: every parsed candidate with its verdict;
- ``manifest.json``: counts, drops, per-label quotas, LLM use, timings, versions, and every file
  above with its SHA-256 and row count (written last; removed first when a run is rewritten, so a
  torn write has no manifest or a file that does not match it, and :func:`load_run` refuses it).

``evaluate`` adds ``metrics.json`` (:data:`METRICS_FILE`) and ``students/<name>/``
(:func:`student_dir`); :func:`load_run` reads a run back for them.

``retrieve --out DIR`` writes the first three (and ``retrieval.json``) into a folder of its own
(:func:`write_retrieval_dir`), which ``generate --hits-from DIR`` reads back
(:func:`read_retrieval_dir`).
"""

from __future__ import annotations

import codecs
import fcntl
import hashlib
import json
import os
import shutil
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.config import RunConfig
from synthrr.core.errors import InputError, UsageError
from synthrr.core.io import atomic_open, write_json, write_parquet
from synthrr.core.paths import safe_name
from synthrr.core.records import Example, SyntheticExample
from synthrr.retrieval import load_hits, save_hits
from synthrr.run.manifest import RunManifest, RunMetrics
from synthrr.tasks.sampling import load_seeds, save_seeds

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from synthrr.core.records import Hit

METRICS_FILE = "metrics.json"
MANIFEST_FILE = "manifest.json"


def examples_frame(rows: Sequence[SyntheticExample]) -> pd.DataFrame:
    """Synthetic rows as a DataFrame with one column per record field (``demo_ids`` as lists)."""
    import pandas as pd

    cols = [f.name for f in SyntheticExample.__dataclass_fields__.values()]
    frame = pd.DataFrame([asdict(r) for r in rows], columns=cols)
    frame["demo_ids"] = frame["demo_ids"].map(list)
    return frame


def write_generation(
    run_dir: Path,
    cfg: RunConfig,
    rows: Sequence[SyntheticExample],
    candidates: Sequence[SyntheticExample],
    manifest: Mapping[str, Any],
    *,
    seeds: Sequence[Example] = (),
    hits: Sequence[Hit] = (),
    prompts: Mapping[str, str] | None = None,
    passages: Mapping[str, str] | None = None,
) -> None:
    """Write a generation's files (see the module docstring) as one consistent set.

    ``prompts`` (prompt hash -> the prompt as sent, JSON for chat messages) and ``passages``
    (passage id -> text) become ``prompts.parquet`` and ``passages.parquet``: side tables that
    the rows join by id, so every candidate can be shown with the exact prompt and passage behind it.

    The old manifest goes first and the new one comes last, listing every file with its SHA-256
    and row count: a reader (:func:`load_run`) that finds no manifest, or a file that does not
    match it, knows the set is torn and refuses it. Temporary files a killed write left are
    removed, and so is what was derived from other data (``metrics.json``, saved students) when
    the rows differ from those of the manifest being replaced.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    before = read_json_or_empty(run_dir / MANIFEST_FILE).get("files", {}).get("data.jsonl", {}).get("sha256")
    (run_dir / MANIFEST_FILE).unlink(missing_ok=True)
    _remove_temporaries(run_dir)
    paths = _write_inputs(run_dir, cfg, seeds, hits)
    data = examples_frame(rows)
    write_parquet(data, run_dir / "data.parquet")
    with atomic_open(run_dir / "data.jsonl") as fh:
        fh.write(data.to_json(orient="records", lines=True, force_ascii=False))
    write_parquet(examples_frame(candidates), run_dir / "candidates.parquet")
    sides = _write_side_tables(run_dir, prompts or {}, passages or {})
    rows_in = {"seeds.parquet": len(seeds), "hits.parquet": len(hits), "data.parquet": len(rows)}
    rows_in |= {"data.jsonl": len(rows), "candidates.parquet": len(candidates)}  # config.yaml: no rows
    rows_in |= sides
    names = [p.name for p in paths.values()] + ["data.parquet", "data.jsonl", "candidates.parquet", *sides]
    files = {n: {"sha256": file_digest(run_dir / n), "rows": rows_in.get(n)} for n in names}
    if files["data.jsonl"]["sha256"] != before:
        _remove_derived(run_dir)  # measured on other data (an identical rerun keeps them)
    if isinstance(manifest, RunManifest):
        manifest.files = files  # the returned manifest says what was written, like the file
    write_json(run_dir / MANIFEST_FILE, {**dict(manifest), "files": files})


def _write_side_tables(run_dir: Path, prompts: Mapping[str, str], passages: Mapping[str, str]) -> dict[str, int]:
    """``prompts.parquet`` and ``passages.parquet`` (when there are any); their row counts by file name."""
    import pandas as pd

    tables = {
        "prompts.parquet": pd.DataFrame({"prompt_hash": list(prompts), "prompt": list(prompts.values())}),
        "passages.parquet": pd.DataFrame({"passage_id": list(passages), "text": list(passages.values())}),
    }
    written = {}
    for name, frame in tables.items():
        if len(frame):
            write_parquet(frame, run_dir / name)
            written[name] = len(frame)
        else:
            (run_dir / name).unlink(missing_ok=True)
    return written


def _remove_derived(run_dir: Path) -> None:
    """Files computed from a run's earlier data: its metrics and saved students."""
    (run_dir / METRICS_FILE).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "students", ignore_errors=True)


def _remove_temporaries(run_dir: Path) -> None:
    """Temporary files a killed write left behind."""
    for tmp in run_dir.glob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_consistent(run: Path, manifest: Mapping[str, Any]) -> None:
    """Every file the manifest lists is there and unchanged (manifests from before file lists pass)."""
    files = manifest.get("files") or {}
    if not isinstance(files, Mapping) or not all(isinstance(v, Mapping) for v in files.values()):
        raise InputError(
            run / MANIFEST_FILE,
            "field 'files' is not a mapping of file name to {sha256, rows} (the file was edited); "
            "rerun the same `synthrr generate` command to rewrite it",
        )
    for name, info in files.items():
        path = run / str(name)
        if not path.is_file() or file_digest(path) != info.get("sha256"):
            what = "is missing" if not path.is_file() else "does not match manifest.json"
            raise InputError(
                path,
                f"{what}: the run directory is not one consistent set (an interrupted write, or a file "
                "edited since); rerun the same `synthrr generate` command to rewrite it",
            )


def _write_inputs(folder: Path, cfg: RunConfig, seeds: Sequence[Example], hits: Sequence[Hit]) -> dict[str, Path]:
    """``config.yaml``, and ``seeds.parquet`` / ``hits.parquet`` when there are any."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"config": folder / "config.yaml"}
    cfg.to_yaml(paths["config"])
    if seeds:
        paths["seeds"] = folder / "seeds.parquet"
        save_seeds(seeds, paths["seeds"])
    if hits:
        paths["hits"] = folder / "hits.parquet"
        save_hits(hits, paths["hits"])
    return paths


def write_retrieval_dir(
    out: Path, cfg: RunConfig, seeds: Sequence[Example], hits: Sequence[Hit], summary: Mapping[str, Any]
) -> dict[str, Path]:
    """A ``retrieve --out`` folder: config, seeds, hits and ``retrieval.json`` (the summary)."""
    paths = _write_inputs(out, cfg, seeds, hits)
    paths["summary"] = out / "retrieval.json"
    write_json(paths["summary"], dict(summary))
    return paths


def read_retrieval_dir(directory: Path) -> tuple[RunConfig, list[Example], list[Hit]]:
    """The config, seeds and hits of a :func:`write_retrieval_dir` folder (or a run directory)."""
    if not (directory / "hits.parquet").is_file():
        raise InputError(
            directory,
            "no hits.parquet here (the folder --hits-from / hits_from names); "
            "write one with `synthrr retrieve --out DIR`",
        )
    cfg = RunConfig.from_yaml(directory / "config.yaml")
    return cfg, load_seeds(directory / "seeds.parquet"), load_hits(directory / "hits.parquet")


def student_dir(run_dir: Path, name: str) -> Path:
    """Where ``evaluate`` saves the student ``name`` trained on a run (``eval.save_student``)."""
    return run_dir / "students" / safe_name(name, "student")


class RunLock:
    """One writer per run directory: an exclusive ``flock`` on ``RUN_DIR/.lock``.

    A second ``generate`` into the same folder refuses at once with one line naming the holder,
    instead of paying for every LLM call again. The kernel drops the lock when its process dies,
    so a lock left by a killed run is simply taken over by the next one.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / ".lock"
        self._fh: Any = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise UsageError(
                f"{self.path.parent}: another synthrr run is writing this run directory ({holder}); "
                "wait for it to finish (its LLM answers are cached for this run too) or use another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


@dataclass
class RunData:
    """The kept examples of a run directory and what it was made for."""

    run_dir: Path
    task: str
    method: str
    examples: list[Example]
    manifest: RunManifest

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.examples]


def load_run(run_dir: str | Path) -> RunData:
    """Read ``data.parquet`` (kept rows), ``manifest.json`` and ``config.yaml`` of a run."""
    import pandas as pd

    run = Path(run_dir).expanduser()
    if not run.is_dir():
        raise InputError(run, "run directory not found")
    data_path = run / "data.parquet"
    if not data_path.is_file():
        raise InputError(run, "not a run directory (no data.parquet); create one with `synthrr generate`")
    if not (run / MANIFEST_FILE).is_file():
        raise InputError(
            run,
            "incomplete run directory: data.parquet without manifest.json (the write was interrupted); "
            "rerun the same `synthrr generate` command to finish it",
        )
    manifest = read_manifest(run)
    check_consistent(run, manifest)
    task = None
    method = manifest.get("method")
    if (run / "config.yaml").is_file():
        cfg = RunConfig.from_yaml(run / "config.yaml")
        task = cfg.task  # a registered name or a task YAML path: resolvable, unlike the manifest's name
        method = method or cfg.synthesis.method
    task = task or manifest.get("task")
    if not task:
        raise InputError(run, "cannot tell the task: neither manifest.json nor config.yaml names it")
    try:
        df = pd.read_parquet(data_path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise InputError(data_path, f"not a readable Parquet file: {e}") from None
    missing = [c for c in ("text", "label") if c not in df.columns]
    if missing:
        raise InputError(data_path, f"missing column(s) {', '.join(missing)}")
    if "verdict" in df.columns:
        df = df[df["verdict"].fillna("kept") == "kept"]
    ids = df["id"].astype(str).tolist() if "id" in df.columns else [str(i) for i in range(len(df))]
    examples = [
        Example(id=i, text=str(t), label=str(lab))
        for i, t, lab in zip(ids, df["text"].tolist(), df["label"].tolist(), strict=True)
    ]
    return RunData(run_dir=run, task=str(task), method=str(method or "unknown"), examples=examples, manifest=manifest)


def read_manifest(run: Path) -> RunManifest:
    """``RUN/manifest.json`` as the record it was written from; one InputError naming it when it is
    not UTF-8 JSON or a field has another JSON type than the writer gives it."""
    path = run / MANIFEST_FILE
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(path, "is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")
    try:
        manifest = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise InputError(path, f"not valid UTF-8 (byte offset {e.start})") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"malformed JSON: {e.msg}", line=e.lineno) from None
    if not isinstance(manifest, dict):
        raise InputError(path, "expected a JSON object")
    for key, value in manifest.items():
        want = _MANIFEST_TYPES.get(key)
        if want is not None and not isinstance(value, want[0]) and not (value is None and key == "stop_reason"):
            raise InputError(
                path,
                f"field '{key}' is {type(value).__name__}, expected {want[1]} (the file was edited); "
                "rerun the same `synthrr generate` command to rewrite it",
            )
    try:
        return RunManifest.from_dict(manifest)
    except (TypeError, ValueError) as e:  # e.g. a per-label quota that is not an object of numbers
        raise InputError(path, f"unexpected content ({e}) (the file was edited); rerun `synthrr generate`") from None


#: the JSON type of each field readers of a manifest rely on
_MANIFEST_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    **dict.fromkeys(("status", "stop_reason", "fingerprint", "task", "method", "prompt_form"), (str, "a string")),
    **dict.fromkeys(
        ("model", "counts", "drops", "per_label", "llm", "executor", "timings_s", "versions", "config", "files"),
        (dict, "an object"),
    ),
}


def read_metrics(run_dir: Path) -> RunMetrics | None:
    """A run's ``metrics.json`` as the record ``evaluate`` wrote (``None`` when absent or unreadable:
    it is recomputed)."""
    data = read_json_or_empty(run_dir / METRICS_FILE)
    if not data:
        return None
    try:
        return RunMetrics.from_dict(data)
    except (TypeError, ValueError, AttributeError):  # e.g. a student entry without its scores
        return None


def read_json_or_empty(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or ``{}`` when the file is missing, malformed or not an object."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # malformed JSON or not UTF-8
        return {}
    return data if isinstance(data, dict) else {}
