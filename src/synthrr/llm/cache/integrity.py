"""Low-level checks of an LLM cache file: SQLite's own checks and the error that reports damage.

Shared by :class:`synthrr.llm.cache.store.LLMCache` (on open and merge) and :mod:`synthrr.llm.cache.repair`
(``cache check``, ``repair``): the layer both stand on, so neither imports the other's internals.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthrr.core.errors import InputError

#: the layout of the cache file; a file of another version is refused
SCHEMA_VERSION = 1


class CacheDamagedError(InputError):
    """The cache file is not a synthrr cache, or SQLite finds it damaged."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(
            path,
            f"{problem}; run `synthrr cache repair --path {path}` to salvage its intact answers into a new "
            "file, or run without the cache (`--set llm.cache=false`)",
        )


def sqlite_problems(rows: list[str]) -> str:
    """SQLite's check messages as one line (they come with a multi-line ``*** in database`` header)."""
    text = " ".join(" ".join(str(r).split()) for r in rows)
    return text.replace("*** in database main *** ", "").strip()


@contextmanager
def read_errors_as_damage(path: Path) -> Iterator[None]:
    """SQLite errors while opening or reading ``path`` become one :class:`CacheDamagedError`."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        raise CacheDamagedError(path, f"not a readable SQLite cache ({e})") from None


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """SQLite's ``quick_check``; a damaged file raises :class:`CacheDamagedError` (connection closed)."""
    problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        conn.close()
        raise CacheDamagedError(path, f"damaged ({sqlite_problems(problems)})")


def has_digests(conn: sqlite3.Connection) -> bool:
    """Whether the ``completions`` table carries answer digests (files from before them do not)."""
    return "digest" in {r[1] for r in conn.execute("PRAGMA table_info(completions)")}


def open_cache_file(path: Path) -> sqlite3.Connection:
    """An existing synthrr cache file, opened for reading (not a file, unreadable or not ours: one error)."""
    if not path.is_file():
        raise InputError(path, "cache file not found" if not path.exists() else "is not a file")
    conn = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    try:
        with read_errors_as_damage(path):
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except CacheDamagedError:
        conn.close()
        raise
    if not {"completions", "meta"} <= tables:
        conn.close()
        raise InputError(path, "not a synthrr LLM cache (no completions/meta tables)")
    return conn


def inspect_source(path: Path) -> bool:
    """Check a cache file before merging it: readable, undamaged, our schema. Returns whether its
    rows carry digests (files written before digests existed do not)."""
    conn = open_cache_file(path)
    try:
        with read_errors_as_damage(path):
            quick_check(conn, path)
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            version = None if row is None else str(row[0])
            if version != str(SCHEMA_VERSION):
                raise InputError(path, f"cache schema version {version}, this synthrr reads {SCHEMA_VERSION}")
            return has_digests(conn)
    finally:
        conn.close()
