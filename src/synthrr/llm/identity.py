"""Content identities of local model files, for cache keys.

A model's identity must change when its weights change and only then, so local files are
identified by the SHA-256 of their bytes. Hashing a 100 MB GGUF takes ~0.2 s and a 500 MB folder
~1 s, so each digest is remembered in a small sidecar keyed by (path, size, mtime): a file is
read in full once, not on every run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from synthrr.core.io import atomic_open
from synthrr.core.paths import subdir

_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, remembered across runs while its size and mtime stay the same."""
    p = Path(path).resolve()
    st = p.stat()
    stamp = {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    sidecar = subdir("hashes") / f"{hashlib.blake2b(str(p).encode('utf-8'), digest_size=10).hexdigest()}.json"
    try:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if {k: saved.get(k) for k in stamp} == stamp and isinstance(saved.get("sha256"), str):
            return str(saved["sha256"])
    except (OSError, ValueError):
        pass
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    try:
        with atomic_open(sidecar) as fh:
            json.dump({**stamp, "sha256": digest}, fh)
    except OSError:  # a read-only cache root only costs a re-hash next time
        pass
    return digest


MODEL_FILE_SUFFIXES = (".json", ".safetensors", ".bin", ".gguf", ".model", ".txt")


def dir_sha256(path: str | Path, suffixes: tuple[str, ...] = MODEL_FILE_SUFFIXES) -> str:
    """SHA-256 over the names and content hashes of a model folder's files with the given suffixes."""
    root = Path(path).resolve()
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in suffixes and not any(part.startswith(".") for part in f.relative_to(root).parts):
            h.update(f"{f.relative_to(root).as_posix()}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()
