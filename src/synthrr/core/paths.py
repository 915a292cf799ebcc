"""Where synthrr keeps its caches (ingested corpora, indexes, the LLM cache)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from synthrr.core.errors import InputError

#: characters a name keeps in a path component; every run of others becomes one ``_``
_UNSAFE = re.compile(r"[^\w.+-]+")
#: the most bytes (UTF-8) a sanitised name takes, leaving room for the suffixes added to it
MAX_NAME_BYTES = 96


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
        blocker = next((q for q in (p, *p.parents) if q.exists() and not q.is_dir()), p)
        raise InputError(blocker, "is a file, not a folder; point SYNTHRR_HOME at a folder") from None
    return p


def safe_name(name: object, fallback: str = "unnamed") -> str:
    """``name`` as one safe path component: word characters, ``.``, ``+`` and ``-`` kept, every
    other run (``/``, ``\\``, spaces, control characters) one ``_``, no leading ``.``/``-`` (so never
    ``.``, ``..``, a hidden file or an option), at most :data:`MAX_NAME_BYTES` bytes; ``fallback``
    when nothing is left. Names that only *become* path parts (a task, corpus, method, student or
    retriever name in a run, index or cache folder) go through this, so none can leave its root."""
    text = _UNSAFE.sub("_", str(name)).lstrip(".-")
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    return text or fallback


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be used as given where a user chose it (a task's ``name:``), else ``None``:
    a path separator, a ``..`` or a control character would make it a path, not a name."""
    if "/" in name or "\\" in name:
        return "contains a path separator ('/' or '\\'); a name is one word such as 'support_tickets'"
    if ".." in name:
        return "contains '..'; a name is one word such as 'support_tickets'"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character; a name is one word such as 'support_tickets'"
    return None


def _explicit_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.startswith((".", "~"))


def content_fingerprint(path: Path, size: int = 4) -> str:
    """A short hex digest of a file's bytes (of a folder's file names and bytes, in name order):
    the same data gives the same fingerprint on any machine, wherever it is stored."""
    h = hashlib.blake2b(digest_size=size)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(f.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with open(f, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def display_name(value: str | os.PathLike[str] | None) -> str | None:
    """How a task or corpus is named where others read it (a dataset card, exported metadata), with
    no local folder in it: a registered name (``imdb``, ``abc_news+wiki``, ``hub:owner/name``) as
    it is; a path as its file name and the fingerprint of its content (``tickets.csv (fingerprint
    3f9a0c1e)``), or its file name alone when it no longer exists."""
    if value is None:
        return None
    text = os.fspath(value)
    path = Path(text).expanduser()
    if text.startswith("hub:") or not (_explicit_path(text) or (path.suffix and path.exists())):
        return text
    if "+" in text and not path.exists():  # corpora joined with '+', some given as paths
        return "+".join(str(display_name(part)) for part in text.split("+"))
    if not path.exists():
        return path.name
    return f"{path.name} (fingerprint {content_fingerprint(path)})"
