"""Inspecting and salvaging LLM cache files: ``synthrr cache check`` and ``cache repair``.

A cache is checked in two ways: SQLite's own ``integrity_check`` (pages and indexes), and every
stored answer against its digest (:func:`synthrr.llm.cache.store.intact`). Repair never edits the
damaged file: it reads what it can, key range by key range (a range SQLite cannot read is
counted and skipped), writes the intact answers into a new cache, then moves the damaged file
aside (``<name>.damaged-<time>``) and the new one into its place.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from synthrr.llm.cache.integrity import (
    CacheDamagedError,
    has_digests,
    open_cache_file,
    sqlite_problems,
)
from synthrr.llm.cache.store import CacheEntry, CacheRow, LLMCache, cache_files, digest, intact

#: key ranges scanned one at a time (keys are hex SHA-256): a damaged page loses one range at most
_PREFIXES = [f"{i:02x}" for i in range(256)]
_COLUMNS = "key, backend, model, label, sample, response, created, hits"
_BATCH = 1000  # salvaged rows per committed transaction


@dataclass
class CheckReport:
    """What :func:`check_cache` found."""

    path: str
    entries: int = 0  # rows read and intact
    damaged: int = 0  # rows read whose answer does not match its digest or is not valid JSON
    unreadable_ranges: int = 0  # key ranges SQLite could not read
    problems: list[str] = field(default_factory=list)  # SQLite integrity_check messages

    @property
    def ok(self) -> bool:
        return not (self.damaged or self.unreadable_ranges or self.problems)


def _ranges(conn: sqlite3.Connection, report: CheckReport) -> Iterator[tuple[tuple[object, ...], bool]]:
    """Every row SQLite can read, with whether its answer is intact; unreadable ranges are counted."""
    has_digest = has_digests(conn)
    digest_col = "digest" if has_digest else "NULL"
    for i, lo in enumerate(_PREFIXES):
        hi = _PREFIXES[i + 1] if i + 1 < len(_PREFIXES) else "g"
        try:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, {digest_col} FROM completions WHERE key >= ? AND key < ?", (lo, hi)
            ).fetchall()
        except sqlite3.DatabaseError:
            report.unreadable_ranges += 1
            continue
        for *values, stored in rows:
            raw = values[5]
            if not has_digest and isinstance(raw, str):
                stored = digest(raw)  # a file from before digests: only the JSON can be checked
            yield tuple(values), intact(raw, stored)


def check_cache(path: str | Path) -> CheckReport:
    """SQLite's integrity check plus every answer against its digest; reads only."""
    p = Path(path)
    conn = open_cache_file(p)
    report = CheckReport(str(p))
    try:
        try:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check(10)")]
        except sqlite3.DatabaseError as e:
            found = [str(e)]
        report.problems = [] if found == ["ok"] else [sqlite_problems([f]) for f in found]
        for _, ok in _ranges(conn, report):
            report.entries += ok
            report.damaged += not ok
    finally:
        conn.close()
    return report


@dataclass
class RepairReport:
    salvaged: int
    dropped: int
    unreadable_ranges: int
    damaged_copy: str


def repair_cache(path: str | Path) -> RepairReport:
    """Salvage the intact answers of ``path`` into a new cache that takes its place; the damaged
    file (and its WAL files) is kept beside it as ``<name>.damaged-<time>``."""
    p = Path(path)
    report = CheckReport(str(p))
    fresh = p.with_name(p.name + ".repairing")
    for f in cache_files(fresh):
        f.unlink(missing_ok=True)
    salvaged = dropped = 0
    try:
        conn = open_cache_file(p)
    except CacheDamagedError:
        conn = None  # nothing SQLite can read: the new cache starts empty
    with LLMCache(fresh) as new:
        if conn is not None:
            try:
                batch: list[CacheRow] = []
                for values, ok in _ranges(conn, report):
                    if not ok:
                        dropped += 1
                        continue
                    key, backend, model, label, sample, raw = (str(v) for v in values[:6])
                    batch.append(CacheRow(key, backend, model, label, int(sample), CacheEntry.from_json(raw)))
                    if len(batch) >= _BATCH:
                        salvaged += new.put_many(batch)
                        batch = []
                salvaged += new.put_many(batch)
            finally:
                conn.close()
        len(new)  # creates the file even when nothing was salvaged
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = p.with_name(f"{p.name}.damaged-{stamp}")
    for src, dst in zip(cache_files(p), cache_files(aside), strict=True):
        if src.exists():
            src.replace(dst)
    for src, dst in zip(cache_files(fresh), cache_files(p), strict=True):
        if src.exists():
            src.replace(dst)
    return RepairReport(salvaged, dropped, report.unreadable_ranges, str(aside))
