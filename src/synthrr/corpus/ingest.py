"""Turn raw documents into passages and write them as Parquet shards, streaming.

Per document: normalise whitespace, drop empties, optionally cut into token windows; per passage:
keep it if its token count is within ``[min_tokens, max_tokens]``, drop exact duplicates, give it
the content id :func:`synthrr.core.text.content_id`. Memory stays flat: the only state that grows with
the corpus is the set of 8-byte passage hashes used for duplicate detection (plus, for the id
lookup table written at the end, one 8-byte integer per kept passage).
"""

from __future__ import annotations

import hashlib
import json
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthrr.core.errors import ConfigError, InputError
from synthrr.core.log import progress
from synthrr.core.text import content_id, count_tokens, normalize_whitespace, sentence_end_tokens, token_spans
from synthrr.corpus.base import passage_key

if TYPE_CHECKING:
    from synthrr.config import CorpusConfig
    from synthrr.corpus.sources import RawDoc, Source

#: bump when the passage rules or the on-disk layout change; part of every cache key
INGEST_VERSION = 1
#: bump when the chunking rule changes; part of the cache key of chunked corpora only
CHUNK_RULE = 2  # 2: windows end at a sentence end in their second half
#: passages per Parquet shard, and per row group inside a shard (the unit read by ``Corpus.get``)
SHARD_ROWS = 100_000
ROW_GROUP_ROWS = 4096
DEFAULT_MIN_TOKENS = 20
DEFAULT_MAX_TOKENS = 400

PASSAGE_COLUMNS = ("id", "text", "n_tokens", "source")


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """The resolved ingestion rules (every default filled in); part of the cache key."""

    text_column: str = "text"
    id_field: str | None = None
    min_tokens: int = DEFAULT_MIN_TOKENS
    max_tokens: int = DEFAULT_MAX_TOKENS
    chunk_tokens: int | None = None
    chunk_overlap: int = 0

    @classmethod
    def resolve(cls, config: CorpusConfig | None, defaults: dict[str, Any] | None = None) -> IngestSettings:
        """Explicit config values win over a built-in's ``defaults``, which win over the global ones."""
        values: dict[str, Any] = {}
        base = defaults or {}
        for name in ("text_column", "id_field", "min_tokens", "max_tokens", "chunk_tokens"):
            given = getattr(config, name, None) if config is not None else None
            if given is not None:
                values[name] = given
            elif name in base:
                values[name] = base[name]
        if config is not None:
            values["chunk_overlap"] = config.chunk_overlap
        chunk = values.get("chunk_tokens")
        if chunk is not None and "max_tokens" not in values:
            values["max_tokens"] = max(DEFAULT_MAX_TOKENS, chunk)
        settings = cls(**values)
        if settings.min_tokens > settings.max_tokens:
            raise ConfigError("corpus.min_tokens", f"{settings.min_tokens} is greater than max_tokens")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def key(self) -> str:
        rule = {"chunk_rule": CHUNK_RULE} if self.chunk_tokens else {}  # unchunked passages are unaffected
        values = self.to_dict()
        values["text_field"] = values.pop("text_column")  # its name before the rename: cached corpora stay valid
        return json.dumps({"version": INGEST_VERSION, **rule, **values}, sort_keys=True)


#: a drop rule that takes at least this share of a corpus's passages earns a warning
LOSSY_SHARE = 0.1


def short_fix(n: int | None = None) -> str:
    """The setting that keeps passages the lower bound drops (``n``: the longest dropped)."""
    if n is None:
        return "lower corpus.min_tokens (--set corpus.min_tokens=N; synthrr corpora --min-tokens N)"
    return f"lower corpus.min_tokens to {n} or below (--set corpus.min_tokens={n}; synthrr corpora --min-tokens {n})"


def long_fix(n: int | None = None) -> str:
    """The settings that keep documents longer than the upper bound (``n``: the shortest dropped)."""
    flag = f" (--set corpus.max_tokens={n})" if n else ""
    return (
        f"raise corpus.max_tokens{flag} or cut documents into passages with corpus.chunk_tokens "
        "(e.g. --set corpus.chunk_tokens=200; synthrr corpora --chunk-tokens 200)"
    )


def drop_warning(meta: dict[str, Any]) -> str | None:
    """A warning when the token range dropped a large share of an ingested corpus (``meta.json``).

    A corpus of whole articles loses most of them to the 400-token bound, one of tweets to the
    20-token one; ingestion goes on (the rest may be enough), but the user should hear of it. With
    chunking, short passages are mostly the tails of cut documents, so only the upper bound counts.
    """
    counts, settings = meta.get("counts", {}), meta.get("settings", {})
    total = counts.get("candidates") or 0
    rules = [("too_long", f"> {settings.get('max_tokens')} tokens", long_fix())]
    if not settings.get("chunk_tokens"):
        rules.append(("too_short", f"< {settings.get('min_tokens')} tokens", short_fix()))
    parts = []
    for key, bound, fix in rules:
        dropped = counts.get(key) or 0
        if total and dropped >= LOSSY_SHARE * total:
            what = key.replace("_", " ")
            parts.append(f"{dropped} of {total} passages ({dropped / total:.0%}) dropped as {what} ({bound}): {fix}")
    return f"corpus '{meta.get('name')}': {'; '.join(parts)}" if parts else None


@dataclass
class IngestStats:
    """Counts per drop reason and token statistics of the kept passages."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    read: int = 0  # documents read from the source
    empty: int = 0  # documents empty after whitespace normalisation
    candidates: int = 0  # passages produced (documents, or chunks when chunking)
    too_short: int = 0
    too_long: int = 0
    duplicate: int = 0
    kept: int = 0
    longest_short: int = 0  # tokens of the longest passage dropped as too short
    shortest_long: int | None = None  # tokens of the shortest passage dropped as too long
    tokens_total: int = 0
    tokens_min: int | None = None
    tokens_max: int | None = None
    hist: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.hist:
            self.hist = [0] * (self.max_tokens + 1)

    def keep(self, n_tokens: int) -> None:
        self.kept += 1
        self.tokens_total += n_tokens
        self.hist[n_tokens] += 1
        if self.tokens_min is None or n_tokens < self.tokens_min:
            self.tokens_min = n_tokens
        if self.tokens_max is None or n_tokens > self.tokens_max:
            self.tokens_max = n_tokens

    def counts(self) -> dict[str, int]:
        names = ("read", "empty", "candidates", "too_short", "too_long", "duplicate", "kept")
        return {k: getattr(self, k) for k in names}

    def _percentile(self, q: float) -> int | None:
        if not self.kept:
            return None
        target, acc = q * self.kept, 0
        for n, c in enumerate(self.hist):
            acc += c
            if acc >= target:
                return n
        return self.tokens_max

    def token_stats(self) -> dict[str, Any]:
        mean = round(self.tokens_total / self.kept, 1) if self.kept else None
        return {
            "total": self.tokens_total,
            "min": self.tokens_min,
            "max": self.tokens_max,
            "mean": mean,
            "p50": self._percentile(0.5),
            "p90": self._percentile(0.9),
        }

    def drop_short(self, n_tokens: int) -> None:
        self.too_short += 1
        self.longest_short = max(self.longest_short, n_tokens)

    def drop_long(self, n_tokens: int) -> None:
        self.too_long += 1
        self.shortest_long = n_tokens if self.shortest_long is None else min(self.shortest_long, n_tokens)

    def nothing_left(self, settings: IngestSettings) -> str:
        """Why no passage was kept, and the setting that would keep some (for the error)."""
        fixes = []
        if self.too_short:
            n = self.longest_short
            fixes.append(f"the longest too-short passage has {n} tokens: {short_fix(n)}")
        if self.too_long:
            n = self.shortest_long or settings.max_tokens + 1
            fixes.append(f"the shortest too-long passage has {n} tokens: {long_fix(n)}")
        if not fixes:
            what = "no documents" if not self.read else "every document is empty"
            fixes.append(f"{what}: check the file and its text column")
        return f"no passages left after filtering: {self.drop_summary(settings)}; {'; '.join(fixes)}"

    def drop_summary(self, settings: IngestSettings) -> str:
        return (
            f"read {self.read} document(s); dropped {self.empty} empty, "
            f"{self.too_short} too short (< {settings.min_tokens} tokens), "
            f"{self.too_long} too long (> {settings.max_tokens} tokens), {self.duplicate} duplicate"
        )


def chunk_text(text: str, size: int, overlap: int = 0) -> list[tuple[str, int]]:
    """Cut ``text`` into windows of at most ``size`` tokens sharing ``overlap`` tokens: ``(text, n_tokens)`` pairs.

    A window ends at its last sentence end ('.', '!' or '?') when one lies in its second half, so
    passages start and end with whole sentences where the text has them; otherwise it is cut after
    ``size`` tokens. Windows are cut at token boundaries of :func:`synthrr.core.text.tokenize` and keep
    the original characters between tokens. A text of at most ``size`` tokens is one window.
    """
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    spans = token_spans(text)
    n = len(spans)
    if n <= size:
        return [(text, n)] if n else []
    stops = sentence_end_tokens(text, spans)
    out: list[tuple[str, int]] = []
    start = 0
    while True:
        end = min(start + size, n)
        if end < n:
            end = next((i + 1 for i in range(end - 1, start + size // 2 - 1, -1) if i in stops), end)
        out.append((text[spans[start][0] : spans[end - 1][1]], end - start))
        if end == n:
            return out
        start = max(end - overlap, start + 1)


def iter_passages(
    docs: Iterable[RawDoc], settings: IngestSettings, stats: IngestStats, seen: set[int] | None = None
) -> Iterator[tuple[str, str, int, str]]:
    """Apply the ingestion rules to raw documents; yield ``(id, text, n_tokens, source)`` of kept passages.

    ``seen`` holds the 64-bit content hashes of the passages kept so far (duplicate detection).
    """
    seen = set() if seen is None else seen
    lo, hi = settings.min_tokens, settings.max_tokens
    chunk, overlap = settings.chunk_tokens, settings.chunk_overlap
    for line, doc_id, raw in docs:
        stats.read += 1
        text = normalize_whitespace(raw) if raw else ""
        if not text:
            stats.empty += 1
            continue
        pieces = chunk_text(text, chunk, overlap) if chunk else [(text, count_tokens(text))]
        source = doc_id or f"line {line}"
        for piece, n in pieces:
            stats.candidates += 1
            if n < lo:
                stats.drop_short(n)
                continue
            if n > hi:
                stats.drop_long(n)
                continue
            pid = content_id(piece)
            h = passage_key(pid)
            if h in seen:
                stats.duplicate += 1
                continue
            seen.add(h)
            stats.keep(n)
            yield pid, piece, n, source


class ShardWriter:
    """Append passages to ``shard-NNNNN.parquet`` files of ``shard_rows`` rows, one row group at a time."""

    def __init__(self, out_dir: Path, shard_rows: int | None = None, row_group_rows: int | None = None) -> None:
        import pyarrow as pa

        self.out_dir = out_dir
        self.shard_rows = shard_rows or SHARD_ROWS
        self.row_group_rows = min(row_group_rows or ROW_GROUP_ROWS, self.shard_rows)
        self.schema = pa.schema(
            [("id", pa.string()), ("text", pa.string()), ("n_tokens", pa.int32()), ("source", pa.string())]
        )
        self.shards: list[dict[str, Any]] = []
        self._buf: tuple[list[str], list[str], list[int], list[str]] = ([], [], [], [])
        self._writer: Any = None
        self._rows_in_shard = 0

    def add(self, pid: str, text: str, n_tokens: int, source: str) -> None:
        ids, texts, ns, sources = self._buf
        ids.append(pid)
        texts.append(text)
        ns.append(n_tokens)
        sources.append(source)
        if len(ids) >= self.row_group_rows or self._rows_in_shard + len(ids) >= self.shard_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = len(self._buf[0])
        if not n:
            return
        if self._writer is None:
            name = f"shard-{len(self.shards):05d}.parquet"
            self._writer = pq.ParquetWriter(self.out_dir / name, self.schema, compression="zstd")
            self.shards.append({"file": name, "rows": 0})
        table = pa.Table.from_arrays([pa.array(col) for col in self._buf], schema=self.schema)
        self._writer.write_table(table, row_group_size=self.row_group_rows)
        self._buf = ([], [], [], [])
        self._rows_in_shard += n
        self.shards[-1]["rows"] = self._rows_in_shard
        if self._rows_in_shard >= self.shard_rows:
            self._close_shard()

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._rows_in_shard = 0

    def close(self) -> list[dict[str, Any]]:
        self._flush()
        self._close_shard()
        return self.shards


def write_id_index(out_dir: Path, ids: array[int]) -> None:
    """Sorted 64-bit passage hashes and their corpus positions, for ``Corpus.get`` by binary search."""
    keys = np.frombuffer(ids, dtype=np.uint64) if len(ids) else np.zeros(0, dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    np.save(out_dir / "ids_sorted.npy", keys[order])
    np.save(out_dir / "ids_order.npy", order.astype(np.uint32 if len(keys) < 2**32 else np.uint64))


def ingest(source: Source, settings: IngestSettings, out_dir: Path) -> dict[str, Any]:
    """Read ``source``, write shards, id index and ``meta.json`` into ``out_dir``; return the meta."""
    stats = IngestStats(max_tokens=settings.max_tokens)
    writer = ShardWriter(out_dir)
    ids = array("Q")
    fp = hashlib.blake2b(digest_size=8)
    t0 = time.perf_counter()
    docs = source.iter_docs()
    bar = progress(desc=f"ingest {source.name}", unit=" passages", unit_scale=True, mininterval=0.5)
    pending = 0
    try:
        for pid, text, n, src in iter_passages(docs, settings, stats):
            writer.add(pid, text, n, src)
            ids.append(passage_key(pid))
            fp.update(pid.encode("ascii"))
            pending += 1
            if pending == 1024:
                bar.update(pending)
                pending = 0
        bar.update(pending)
        shards = writer.close()
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    if not stats.kept:
        raise InputError(source.path, stats.nothing_left(settings))
    write_id_index(out_dir, ids)
    meta = {
        "name": source.name,
        "format": INGEST_VERSION,
        "fingerprint": fp.hexdigest(),
        "source": source.describe(),
        "settings": settings.to_dict(),
        "counts": stats.counts(),
        "tokens": stats.token_stats(),
        "shards": shards,
        "seconds": round(seconds, 3),
        "passages_per_s": round(stats.kept / seconds, 1) if seconds > 0 else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
