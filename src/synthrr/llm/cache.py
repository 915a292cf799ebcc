"""The content-addressed LLM cache: one SQLite row per sampled completion.

Key = SHA-256 of the canonical JSON of ``{backend, model identity, prompt, sampling params
without n, sample index}`` (see :func:`cache_key`). Each sample of a prompt is its own row, so
asking later for more samples (a larger ``n``) only generates the new ones. The database runs
in WAL mode with a busy timeout, so several processes can read and write it at once; every
answered request is committed when it arrives, so a crash loses nothing already answered.
Secrets (API keys) never enter keys or rows: backends' model identities exclude them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthrr.llm.base import Completion, LLMRequest
from synthrr.paths import home

SCHEMA_VERSION = 1
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
    hits INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS completions_backend ON completions (backend, model);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_path() -> Path:
    """``synthrr.paths.home() / "llm-cache.sqlite"``."""
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
    """One cached completion and the prompt length it was answered with."""

    completion: Completion
    prompt_tokens: int
    created: float

    def to_json(self) -> str:
        c = self.completion
        return canonical_json(
            {
                "text": c.text,
                "finish_reason": c.finish_reason,
                "completion_tokens": c.completion_tokens,
                "prompt_tokens": self.prompt_tokens,
                "created": self.created,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> CacheEntry:
        d = json.loads(raw)
        comp = Completion(text=d["text"], finish_reason=d["finish_reason"], completion_tokens=d["completion_tokens"])
        return cls(completion=comp, prompt_tokens=int(d["prompt_tokens"]), created=float(d["created"]))


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
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        self._enable_wal(conn)
        # WAL + NORMAL: a committed transaction survives a killed process (not a power cut).
        conn.execute("PRAGMA synchronous = NORMAL")
        with _transaction(conn):
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._conn, self._pid = conn, os.getpid()
        return conn

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
                rows = conn.execute(f"SELECT key, response FROM completions WHERE key IN ({marks})", chunk).fetchall()
                for key, raw in rows:
                    found[key] = CacheEntry.from_json(raw)
                if count_hits and rows:
                    hit = [k for k, _ in rows]
                    with _transaction(conn):
                        conn.execute(
                            f"UPDATE completions SET hits = hits + 1 WHERE key IN ({','.join('?' * len(hit))})", hit
                        )
        return found

    def get(self, key: str) -> CacheEntry | None:
        return self.get_many([key]).get(key)

    def put_many(self, rows: Iterable[CacheRow]) -> int:
        """Insert rows in one committed transaction; an existing key keeps its first answer."""
        data = [(r.key, r.backend, r.model, r.label, r.sample, r.entry.to_json(), r.entry.created) for r in rows]
        if not data:
            return 0
        with self._lock:
            conn = self._connect()
            with _transaction(conn):
                conn.executemany(
                    "INSERT INTO completions (key, backend, model, label, sample, response, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                    data,
                )
        return len(data)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    # ---- maintenance ---------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Entries, size on disk, hits and a per-(backend, model) breakdown."""
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
        size = sum(p.stat().st_size for p in self._files() if p.exists())
        return {
            "path": str(self.path),
            "entries": sum(m["entries"] for m in models),
            "hits": sum(m["hits"] for m in models),
            "bytes": size,
            "models": models,
        }

    def clear(self, backend: str | None = None) -> int:
        """Delete every entry (or those of one backend); returns how many were deleted."""
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

    def merge(self, source: str | Path) -> tuple[int, int]:
        """Copy the entries of another cache file that this one lacks (a key already here keeps its
        answer), in one transaction: a failure adds nothing. Returns ``(added, rows in source)``."""
        from synthrr.errors import InputError

        src = Path(source)
        if not src.is_file():
            raise InputError(src, "cache file not found")
        if src.resolve() == self.path.resolve():
            raise InputError(src, "is the cache being merged into")
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("ATTACH DATABASE ? AS src", (str(src),))
            except sqlite3.DatabaseError as e:
                raise InputError(src, f"not an SQLite file: {e}") from None
            try:
                version = self._source_version(conn, src)
                if version != str(SCHEMA_VERSION):
                    raise InputError(src, f"cache schema version {version}, this synthrr reads {SCHEMA_VERSION}")
                total = int(conn.execute("SELECT COUNT(*) FROM src.completions").fetchone()[0])
                with _transaction(conn):
                    added = conn.execute(
                        "INSERT OR IGNORE INTO main.completions "
                        "(key, backend, model, label, sample, response, created, hits) "
                        "SELECT key, backend, model, label, sample, response, created, hits FROM src.completions"
                    ).rowcount
            finally:
                conn.execute("DETACH DATABASE src")
        return int(added), total

    @staticmethod
    def _source_version(conn: sqlite3.Connection, src: Path) -> str | None:
        from synthrr.errors import InputError

        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM src.sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as e:
            raise InputError(src, f"not an SQLite file: {e}") from None
        if not {"completions", "meta"} <= tables:
            raise InputError(src, "not a synthrr LLM cache (no completions/meta tables)")
        row = conn.execute("SELECT value FROM src.meta WHERE name = 'schema_version'").fetchone()
        return None if row is None else str(row[0])

    def _files(self) -> list[Path]:
        return [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]


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
