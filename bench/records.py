"""Per-draw records of ``bench/quality.py``: one JSON file per (task, draw), so that a protocol of
several draws can be run a draw at a time (on another day or machine) and the results file rebuilt
from every record that was measured under the same protocol.

A record holds the draw's summary (rows, per-row info, model, wall time), the run config it used, the
command lines, the source commit and the *protocol*: the settings that make two draws comparable (N, students,
split, test examples, LLM, filters through the overrides, ...). The rows are not part of it: running
other rows for a recorded draw (``--rows SuperGen``) adds them to its record, a row run again replaces
its old result. Nor is the corpus, which only the rows that retrieve read: each of those rows keeps
its own in ``info[row]["corpus"]``, so a retrieving row rerun on another corpus joins the record
beside the rows that read none. :func:`load` returns the records of a task whose protocol equals the current one and
names the others, which are left out of the tables.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: argparse fields of bench/quality.py that define a protocol (two draws are comparable iff equal)
PROTOCOL_FIELDS = (
    "n",
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
        if name == "overrides" and value is not None:
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


#: protocol keys that do not make two draws incomparable: the rows, and the corpus (kept per row)
NOT_PROTOCOL = ("rows", "corpus")


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    """Equal protocols (records written before rows and the corpus left the protocol still carry them)."""

    def strip(p: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (p or {}).items() if k not in NOT_PROTOCOL}

    return strip(a) == strip(b)


def tag_corpus(info: dict[str, dict[str, Any]], corpus: str | None, corpus_rows: Collection[str]) -> None:
    """Give each retrieving row of ``info`` without a corpus of its own the record's (older records)."""
    for name, row in info.items():
        if name in corpus_rows and corpus and "corpus" not in row:
            row["corpus"] = corpus


def gold_distance(row: dict[str, Any] | None, n: int | None) -> tuple[int, int]:
    """How far a Gold row's N is from the protocol's N (ties: the larger N); the nearest Gold is the
    draw's Gold, both among one invocation's Gold rows and between a record's and a later one's."""
    kept = int((row or {}).get("n") or 0)
    return (abs(kept - (n or kept)), -kept) if row else (1 << 30, 0)


def _merge_rows(before: dict[str, Any], new: dict[str, Any], n: int | None) -> dict[str, Any]:
    """A later invocation's rows over the record's: a row run again replaces its result, except Gold,
    which is measured at the kept N of the rows run with it (a row that kept 93 of 100 brings Gold at 93)
    and so only replaces a Gold row that is no nearer to the protocol's N."""
    rows = {**before, **new}
    if "Gold" in before and gold_distance(before["Gold"], n) < gold_distance(new.get("Gold"), n):
        rows["Gold"] = before["Gold"]
    return rows


def save(
    records: Path,
    summary: dict[str, Any],
    draw: int,
    proto: dict[str, Any],
    argv: list[str],
    corpus_rows: Collection[str] = (),
) -> Path:
    """Write one draw's summary (atomically: a killed benchmark never leaves half a record), merged
    into the draw's record of the same protocol if there is one: its other rows are kept, and its
    retrieving rows (``corpus_rows``) keep the corpus they were run on."""
    summary = {**summary, "config": summary["config"].to_dict()}
    target = path(records, summary["task"], draw)
    argvs = [argv]
    if target.is_file():
        old = json.loads(target.read_text(encoding="utf-8"))
        if _same(old.get("protocol"), proto):
            before = old["summary"]
            tag_corpus(before.get("info", {}), (old.get("protocol") or {}).get("corpus"), corpus_rows)
            summary["rows"] = _merge_rows(before.get("rows", {}), summary["rows"], proto.get("n"))
            summary["info"] = {**before.get("info", {}), **summary["info"]}
            summary["wall_s"] = float(before.get("wall_s", 0.0)) + float(summary["wall_s"])
            summary["model"] = summary.get("model") or before.get("model")
            argvs = [*old.get("argvs", [old.get("argv", [])]), argv]
    record = {
        "task": summary["task"],
        "draw": draw,
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": argv,
        "argvs": argvs,
        "commit": _commit(),
        "protocol": proto,
        "summary": summary,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def load(
    records: Path, task: str, proto: dict[str, Any], corpus_rows: Collection[str] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    """The task's draws recorded under ``proto`` (summaries in draw order, configs rebuilt), and a
    one-line reason for each record left out because its protocol differs."""
    from synthrr.config import RunConfig

    kept: list[tuple[int, dict[str, Any]]] = []
    skipped: list[str] = []
    for file in sorted((records / task).glob("draw-*.json")):
        record = json.loads(file.read_text(encoding="utf-8"))
        if not _same(record.get("protocol"), proto):
            theirs = record.get("protocol") or {}
            diff = sorted(k for k in set(theirs) | set(proto) if theirs.get(k) != proto.get(k))
            skipped.append(f"{file}: another protocol ({', '.join(diff)} differ)")
            continue
        summary = record["summary"]
        tag_corpus(summary.get("info", {}), (record.get("protocol") or {}).get("corpus"), corpus_rows)
        summary["config"] = RunConfig.from_dict(summary["config"])
        summary["argv"] = record.get("argv", [])
        summary["argvs"] = record.get("argvs", [summary["argv"]])
        summary["draw"] = int(record["draw"])
        kept.append((int(record["draw"]), summary))
    return [s for _, s in sorted(kept, key=lambda t: t[0])], skipped
