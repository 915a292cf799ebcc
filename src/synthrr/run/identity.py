"""A run's identity: the fingerprint of the settings that change its data, and the run directory it names."""

from __future__ import annotations

import json
from pathlib import Path

from synthrr.config import RunConfig
from synthrr.core.paths import safe_name
from synthrr.core.text import stable_hash


def fingerprint(cfg: RunConfig) -> str:
    """Hash of every setting that changes the data (not where it is written or how fast, nor a
    credential: a rotated key keeps its run directory)."""
    data = cfg.public_dict()
    for key in ("out", "threads", "executor", "shard_size", "ray", "eval", "hits_from"):
        data.pop(key, None)
    data["llm"].pop("budget", None)
    if data["llm"].get("model") is None:  # not given: the fingerprint runs had before llm.model existed
        data["llm"].pop("model", None)
    data["corpus"]["text_field"] = data["corpus"].pop("text_column")  # the key's old name: run folders stay put
    if not data["synthesis"].get("method_options"):  # none given: the fingerprint runs had before options
        data["synthesis"].pop("method_options", None)
    return stable_hash(json.dumps(data, sort_keys=True), size=6)


def run_dir_for(cfg: RunConfig, task_name: str) -> Path:
    """``OUT/<task>-<method>-<fingerprint>``: the names made safe, so the folder is always inside ``OUT``."""
    base = Path(cfg.out) if cfg.out else Path("runs")
    return base / f"{safe_name(task_name, 'task')}-{safe_name(cfg.synthesis.method, 'method')}-{fingerprint(cfg)}"
