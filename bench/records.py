"""Per-draw records of ``bench/quality.py``: one JSON file per (task, draw), so that a protocol of
several draws can be run a draw at a time (on another day or machine) and the results file rebuilt
from every record that was measured under the same protocol.

A record holds the draw's summary (rows, per-row info, model, wall time), the run config it used, the
command line, the source commit and the *protocol*: the settings that make two draws comparable (N, rows, students,
split, test examples, LLM, filters through the overrides, ...). :func:`load` returns the records of a
task whose protocol equals the current one and names the others, which are left out of the tables.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: argparse fields of bench/quality.py that define a protocol (two draws are comparable iff equal)
PROTOCOL_FIELDS = (
    "n",
    "rows",
    "students",
    "eval_split",
    "test_limit",
    "seeds",
    "max_tokens",
    "per_label",
    "retriever",
    "metrics",
    "gold_full",
    "llm",
    "llm_options",
    "overrides",
    "quick",
)


def protocol(args: Any, corpus: str) -> dict[str, Any]:
    """The settings a task's draws must share, as plain JSON values (lists sorted where order is moot)."""
    out: dict[str, Any] = {"corpus": corpus}
    for name in PROTOCOL_FIELDS:
        value = getattr(args, name, None)
        if name in ("rows", "overrides") and value is not None:
            value = sorted(value)
        out[name] = value
    return json.loads(json.dumps(out, default=str))


def _commit() -> str | None:
    """The source commit the draw ran on (provenance only: not part of the protocol)."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def path(records: Path, task: str, draw: int) -> Path:
    return records / task / f"draw-{draw}.json"


def save(records: Path, summary: dict[str, Any], draw: int, proto: dict[str, Any], argv: list[str]) -> Path:
    """Write one draw's summary (atomically: a killed benchmark never leaves half a record)."""
    record = {
        "task": summary["task"],
        "draw": draw,
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": argv,
        "commit": _commit(),
        "protocol": proto,
        "summary": {**summary, "config": summary["config"].to_dict()},
    }
    target = path(records, summary["task"], draw)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def load(records: Path, task: str, proto: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The task's draws recorded under ``proto`` (summaries in draw order, configs rebuilt), and a
    one-line reason for each record left out because its protocol differs."""
    from synthrr.config import RunConfig

    kept: list[tuple[int, dict[str, Any]]] = []
    skipped: list[str] = []
    for file in sorted((records / task).glob("draw-*.json")):
        record = json.loads(file.read_text(encoding="utf-8"))
        if record.get("protocol") != proto:
            theirs = record.get("protocol") or {}
            diff = sorted(k for k in set(theirs) | set(proto) if theirs.get(k) != proto.get(k))
            skipped.append(f"{file}: another protocol ({', '.join(diff)} differ)")
            continue
        summary = record["summary"]
        summary["config"] = RunConfig.from_dict(summary["config"])
        summary["argv"] = record.get("argv", [])
        summary["draw"] = int(record["draw"])
        kept.append((int(record["draw"]), summary))
    return [s for _, s in sorted(kept, key=lambda t: t[0])], skipped
