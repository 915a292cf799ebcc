"""The content-addressed LLM cache: one SQLite row per sampled completion.

Key = SHA-256 of the canonical JSON of ``{backend, model identity, prompt, sampling params
without n, sample index}`` (see :func:`cache_key`). Each sample of a prompt is its own row, so
asking later for more samples (a larger ``n``) only generates the new ones. The database runs
in WAL mode with a busy timeout, so several processes can read and write it at once; every
answered request is committed when it arrives, so a crash loses nothing already answered.
Secrets (API keys) never enter keys or rows: backends' model identities exclude them.

Integrity: each row carries a digest of its stored answer. Opening a cache runs SQLite's
``quick_check``; a file that is not a cache, or is damaged, stops with one line naming it and the
fix (:class:`CacheDamagedError`). A row whose answer no longer matches its digest (or is not valid
JSON) is deleted when it is read and counts as a miss, so it is asked again, never used.
``synthrr cache check`` and ``cache repair`` (:mod:`synthrr.llm.cache.repair`) inspect and salvage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthrr.core.errors import InputError
from synthrr.core.paths import home
from synthrr.llm.base import Completion, LLMRequest
from synthrr.llm.cache.integrity import SCHEMA_VERSION, has_digests, inspect_source, quick_check, read_errors_as_damage

_LOOKUP_CHUNK = 500  # keys per SELECT ... IN (...), below SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    label TEXT NOT NULL,
    sample INTEGER NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    digest TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS completions_backend ON completions (backend, model);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def digest(response: str) -> str:
    """The integrity digest stored beside an answer (16 hex digits of its SHA-256)."""
    return hashlib.sha256(response.encode("utf-8")).hexdigest()[:16]


def intact_entry(response: object, stored: object) -> CacheEntry | None:
    """The stored answer as an entry, or ``None`` when it no longer matches its digest or parse."""
    if not isinstance(response, str) or stored != digest(response):
        return None
    try:
        return CacheEntry.from_json(response)
    except (ValueError, KeyError, TypeError):
        return None


def intact(response: object, stored: object) -> bool:
    """True when a stored answer still matches its digest and parses as an entry."""
    return intact_entry(response, stored) is not None


def cache_files(path: Path) -> list[Path]:
    """A cache file and its WAL companions."""
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def default_path() -> Path:
    """``synthrr.core.paths.home() / "llm-cache.sqlite"``."""
    return home() / "llm-cache.sqlite"


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept: equal values give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def cache_key(backend: str, model: str, request: LLMRequest, sample: int) -> str:
    """The cache key of sample ``sample`` of ``request`` on ``backend`` / ``model``."""
    payload = {
        "v": SCHEMA_VERSION,
        "backend": backend,
        "model": model,
        "prompt": request.prompt_payload(),
        "sampling": request.sampling.key_params(),
        "sample": sample,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(slots=True, frozen=True)
class CacheEntry:
    """One cached completion and the prompt length it was answered with.

    The JSON has a ``logprob`` key only when the completion has one, so entries without it are
    byte-identical to those written before log-probabilities existed (and read back as ``None``).
    ``seconds`` is this sample's share of the engine time it took (written only when measured, so
    older entries read back as 0): a cached rerun can report what its answers cost when generated.
    """

    completion: Completion
    prompt_tokens: int
    created: float
    seconds: float = 0.0

    def to_json(self) -> str:
        d = {**self.completion.to_dict(), "prompt_tokens": self.prompt_tokens, "created": self.created}
        if self.seconds > 0:
            d["seconds"] = round(self.seconds, 4)
        return canonical_json(d)

    @classmethod
    def from_json(cls, raw: str) -> CacheEntry:
        d = json.loads(raw)
        return cls(
            completion=Completion.from_dict(d),
            prompt_tokens=int(d["prompt_tokens"]),
            created=float(d["created"]),
            seconds=float(d.get("seconds", 0.0)),
        )


@dataclass(slots=True, frozen=True)
class CacheRow:
    """What :meth:`LLMCache.put_many` stores."""

    key: str
    backend: str
    model: str
    label: str
    sample: int
    entry: CacheEntry


class LLMCache:
    """SQLite-backed completion cache, safe for several threads and processes.

    A connection is opened lazily per process (so the object survives ``fork`` and pickling),
    and all access from one process is serialised by a lock.
    """

    def __init__(self, path: str | Path | None = None, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1

    # ---- connection ----------------------------------------------------------------------
    def _check_location(self) -> None:
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise InputError(folder, "is a file, not a folder; point SYNTHRR_HOME (or --path) at a folder")
        if self.path.is_dir():
            raise InputError(self.path, "is a folder, not a cache file")

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._check_location()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with read_errors_as_damage(self.path):
            conn = self._open()
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
        conn.create_function("synthrr_digest", 1, digest, deterministic=True)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        quick_check(conn, self.path)
        self._enable_wal(conn)
        # WAL + NORMAL: a committed transaction survives a killed process (not a power cut).
        conn.execute("PRAGMA synchronous = NORMAL")
        with _transaction(conn):
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            if not has_digests(conn):  # a cache written before answers carried digests: trust them now
                conn.execute("ALTER TABLE completions ADD COLUMN digest TEXT")
                conn.execute("UPDATE completions SET digest = synthrr_digest(response)")
        return conn

    def open(self) -> LLMCache:
        """Open (or create) the file now, checking it; otherwise the first lookup does."""
        with self._lock:
            self._connect()
        return self

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL once per database. Switching needs an exclusive lock and SQLite does not
        wait on busy_timeout for it, so several processes opening a new cache retry here."""
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.005
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> LLMCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "busy_timeout_s": self.busy_timeout_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], busy_timeout_s=state["busy_timeout_s"])  # type: ignore[misc]

    # ---- reads and writes ----------------------------------------------------------------
    def get_many(self, keys: Sequence[str], *, count_hits: bool = True) -> dict[str, CacheEntry]:
        """The entries found among ``keys``; their hit counters are incremented."""
        found: dict[str, CacheEntry] = {}
        if not keys:
            return found
        with self._lock:
            conn = self._connect()
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = list(dict.fromkeys(keys[start : start + _LOOKUP_CHUNK]))
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, response, digest FROM completions WHERE key IN ({marks})", chunk
                ).fetchall()
                damaged = []
                for key, raw, stored in rows:
                    entry = intact_entry(raw, stored)
                    if entry is None:
                        damaged.append(key)
                    else:
                        found[key] = entry
                if damaged:
                    self._drop_damaged(conn, damaged)
                hit = [key for key, _, _ in rows if key in found]
                if count_hits and hit:
                    with _transaction(conn):
                        conn.execute(
                            f"UPDATE completions SET hits = hits + 1 WHERE key IN ({','.join('?' * len(hit))})", hit
                        )
        return found

    def _drop_damaged(self, conn: sqlite3.Connection, keys: list[str]) -> None:
        """Delete answers that no longer match their digest: they count as misses and are asked again."""
        with _transaction(conn):
            conn.executemany("DELETE FROM completions WHERE key = ?", [(k,) for k in keys])
        logging.getLogger(__name__).warning(
            "%s: %d damaged cache entr%s dropped; they will be asked again (`synthrr cache check` inspects the "
            "whole file)",
            self.path,
            len(keys),
            "y" if len(keys) == 1 else "ies",
        )

    def get(self, key: str) -> CacheEntry | None:
        return self.get_many([key]).get(key)

    def put_many(self, rows: Iterable[CacheRow]) -> int:
        """Insert rows in one committed transaction; an existing key keeps its first answer."""
        data = []
        for r in rows:
            raw = r.entry.to_json()
            data.append((r.key, r.backend, r.model, r.label, r.sample, raw, r.entry.created, digest(raw)))
        if not data:
            return 0
        with self._lock:
            conn = self._connect()
            with _transaction(conn):
                conn.executemany(
                    "INSERT INTO completions (key, backend, model, label, sample, response, created, digest) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                    data,
                )
        return len(data)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    # ---- maintenance ---------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Entries, size on disk, hits and a per-(backend, model) breakdown."""
        self._check_location()
        if not self.path.exists():
            return {"path": str(self.path), "entries": 0, "hits": 0, "bytes": 0, "models": []}
        with self._lock:
            conn = self._connect()
            rows = conn.execute(
                "SELECT backend, model, MAX(label), COUNT(*), SUM(hits), MIN(created), MAX(created) "
                "FROM completions GROUP BY backend, model ORDER BY backend, model"
            ).fetchall()
        models = [
            {
                "backend": b,
                "model": m,
                "label": label,
                "entries": n,
                "hits": int(h or 0),
                "first": time.strftime("%Y-%m-%d %H:%M", time.localtime(first)),
                "last": time.strftime("%Y-%m-%d %H:%M", time.localtime(last)),
            }
            for b, m, label, n, h, first, last in rows
        ]
        size = sum(p.stat().st_size for p in cache_files(self.path) if p.exists())
        return {
            "path": str(self.path),
            "entries": sum(m["entries"] for m in models),
            "hits": sum(m["hits"] for m in models),
            "bytes": size,
            "models": models,
        }

    def clear(self, backend: str | None = None) -> int:
        """Delete every entry (or those of one backend); returns how many were deleted."""
        self._check_location()
        if not self.path.exists():
            return 0
        with self._lock:
            conn = self._connect()
            with _transaction(conn):
                if backend is None:
                    n = conn.execute("DELETE FROM completions").rowcount
                else:
                    n = conn.execute("DELETE FROM completions WHERE backend = ?", (backend,)).rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
        return int(n)

    def merge(self, source: str | Path, *, has_digest: bool | None = None) -> tuple[int, int]:
        """Copy the intact entries of another cache file that this one lacks (a key already here
        keeps its answer), in one transaction: a failure adds nothing. The source is checked before
        this cache is opened (or created), unless the caller already did: ``has_digest`` is then
        what :func:`~synthrr.llm.cache.integrity.inspect_source` returned. Returns ``(added, rows in source)``."""
        src = Path(source)
        if src.exists() and self.path.exists() and src.resolve() == self.path.resolve():
            raise InputError(src, "is the cache being merged into")
        if has_digest is None:
            has_digest = inspect_source(src)
        where = "WHERE digest = synthrr_digest(response)" if has_digest else "WHERE json_valid(response)"
        with self._lock:
            conn = self._connect()
            conn.execute("ATTACH DATABASE ? AS src", (str(src),))
            try:
                total = int(conn.execute("SELECT COUNT(*) FROM src.completions").fetchone()[0])
                with _transaction(conn):
                    added = conn.execute(
                        "INSERT OR IGNORE INTO main.completions "
                        "(key, backend, model, label, sample, response, created, hits, digest) "
                        "SELECT key, backend, model, label, sample, response, created, hits, "
                        f"synthrr_digest(response) FROM src.completions {where}"
                    ).rowcount
            finally:
                conn.execute("DETACH DATABASE src")
        return int(added), total


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT (rollback on error); takes the write lock up front, so
    concurrent writers wait on busy_timeout instead of failing on lock upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
