"""Where synthrr keeps its caches (ingested corpora, indexes, the LLM cache)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The synthrr cache root: ``$SYNTHRR_HOME``, else ``$XDG_CACHE_HOME/synthrr``, else ``~/.cache/synthrr``."""
    env = os.environ.get("SYNTHRR_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "synthrr"


def subdir(name: str) -> Path:
    """A named sub-folder of :func:`home`, created on demand."""
    p = home() / name
    try:
        p.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        from synthrr.errors import InputError

        blocker = next((q for q in (p, *p.parents) if q.exists() and not q.is_dir()), p)
        raise InputError(blocker, "is a file, not a folder; point SYNTHRR_HOME at a folder") from None
    return p
