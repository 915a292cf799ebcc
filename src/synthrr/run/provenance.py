"""Every synthetic row with what it came from: the seed, the retrieved passage, the demonstrations
and the exact prompt, joined by id from the run directory's side tables (``seeds.parquet``,
``passages.parquet``, ``prompts.parquet``). Used by ``synthrr show`` and ``SynthesisResult.provenance``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthrr.core.text import clip
from synthrr.run.rundir import load_run

#: verdict filter meaning "every candidate"
ALL = "all"


def _mapping(path: Path, key: str, value: str) -> dict[str, str]:
    import pandas as pd

    if not path.is_file():
        return {}
    frame = pd.read_parquet(path, columns=[key, value])
    return dict(zip(frame[key].astype(str), frame[value].astype(str), strict=True))


def provenance(run_dir: str | Path, *, candidates: bool = True) -> Any:
    """A DataFrame of the run's candidates (or its kept rows) with ``seed_text``, ``passage_text``,
    ``demo_texts`` (one per demonstration id) and ``prompt`` (the text sent, or the chat messages as
    JSON) added; a column is empty where the run has nothing to join (e.g. FewGen has no passages;
    runs written before the side tables existed have no prompts)."""
    import pandas as pd

    run = load_run(run_dir).run_dir  # refuses a torn or edited run directory
    frame = pd.read_parquet(run / ("candidates.parquet" if candidates else "data.parquet"))
    seeds = _mapping(run / "seeds.parquet", "id", "text")
    passages = _mapping(run / "passages.parquet", "passage_id", "text")
    prompts = _mapping(run / "prompts.parquet", "prompt_hash", "prompt")
    frame["seed_text"] = frame["seed_id"].map(seeds)
    frame["passage_text"] = frame["passage_id"].map(passages)
    frame["demo_texts"] = frame["demo_ids"].map(lambda ids: [seeds.get(str(i)) for i in ids])
    frame["prompt"] = frame["prompt_hash"].map(prompts)
    return frame


def render_prompt(prompt: str | None, limit: int | None) -> str:
    """A stored prompt for a terminal: chat messages as ``[role] content`` blocks, cut at ``limit`` characters."""
    if not isinstance(prompt, str) or not prompt:
        return "(not stored: the run predates prompts.parquet)"
    try:
        text = chat_text(json.loads(prompt))
    except (ValueError, TypeError, KeyError):
        text = prompt
    return clip(text, limit, "; --full-prompt shows all")


def chat_text(messages: Any) -> str:
    """Chat messages as ``[role] content`` lines."""
    return "\n".join(f"[{m['role']}] {m['content']}" for m in messages)


def describe(row: Any, prompt_limit: int | None) -> str:
    """One candidate and its provenance, as lines for a terminal."""

    def short(text: Any, n: int = 400) -> str:
        s = "" if text is None or (isinstance(text, float) and text != text) else str(text)
        return s if len(s) <= n else s[: n - 3] + "..."

    conf = row.get("confidence")
    head = f"[{row['verdict']}] {row['label']}  id {row['id']}  method {row['method']}"
    if conf is not None and conf == conf:
        head += f"  confidence {float(conf):.2f}"
    lines = [head, f"  text: {row['text']}"]
    if row.get("seed_id"):
        lines.append(f"  seed {row['seed_id']}: {short(row.get('seed_text'))}")
    if row.get("passage_id"):
        rank, score = row.get("rank"), row.get("score")
        where = f" (rank {int(rank)}, score {float(score):.3f})" if rank is not None and rank == rank else ""
        lines.append(f"  passage {row['passage_id']}{where}: {short(row.get('passage_text'))}")
    ids = [] if row.get("demo_ids") is None else list(row["demo_ids"])
    if ids:
        demos = " | ".join(short(t, 120) for t in list(row.get("demo_texts") or []))
        lines.append(f"  demonstrations ({len(ids)}): {demos}")
    lines.append(f"  prompt {row['prompt_hash']}:")
    lines += ["    " + line for line in render_prompt(row.get("prompt"), prompt_limit).splitlines()]
    return "\n".join(lines)
