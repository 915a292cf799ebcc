"""Streaming readers of raw documents: JSONL, CSV/TSV (optionally compressed), Parquet, .txt folders.

Every reader yields ``(line, doc_id, text)`` one document at a time and never holds the whole file.
``line`` is the 1-based line (JSONL, CSV), row (Parquet) or 1 (one .txt file per document); errors
are :class:`~synthrr.core.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthrr.core.errors import InputError, guess_column
from synthrr.core.hf_datasets import column_frame, load_split
from synthrr.core.io import (
    DECOMPRESS_ERRORS,
    check_utf8,
    corrupt_compressed,
    iter_jsonl,
    open_binary,
    sniff_compression,
    table_format,
)
from synthrr.core.text import stable_hash

#: one raw document: (1-based line or row, source document id, text or None)
RawDoc = tuple[int, str, str | None]

_PARQUET_BATCH = 8192


def file_fingerprint(path: Path) -> str:
    """Identity of one file without reading it: absolute path, size and modification time."""
    st = path.stat()
    return stable_hash(str(path.resolve()), str(st.st_size), str(st.st_mtime_ns))


class Source(ABC):
    """A place documents come from. ``name`` names the cache folder; ``path`` appears in errors."""

    kind: str = "source"

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name

    def fingerprint(self) -> str:
        """Changes whenever the documents may have changed."""
        return stable_hash(self.kind, file_fingerprint(self.path))

    @abstractmethod
    def iter_docs(self) -> Iterator[RawDoc]:
        """Yield the documents in a stable order."""

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path), "fingerprint": self.fingerprint()}


def column_error(
    path: Path, column: str, found: list[str], what: str = "column", line: int | None = None
) -> InputError:
    """The error for a text column ``column`` absent from ``found``: lists what was found and spells
    the fix (``--text-column body`` or ``--set corpus.text_column=body``) with the likeliest column."""
    fix = guess_column(column, found) or "COLUMN"
    listed = ", ".join(map(repr, found[:20])) or "(none)"
    return InputError(
        path,
        f"no {what} '{column}'; {what}s found: {listed}; "
        f"name the text {what}: --text-column {fix} (or --set corpus.text_column={fix})",
        line=line,
    )


def _check_text(path: Path, line: int, field: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InputError(path, f"field '{field}' is {type(value).__name__}, expected a string", line=line)


class JsonlSource(Source):
    """One JSON object per line; ``text_column`` holds the text, ``id_field`` an optional document id."""

    kind = "jsonl"

    def __init__(self, path: Path, name: str, text_column: str, id_field: str | None = None) -> None:
        super().__init__(path, name)
        self.text_column = text_column
        self.id_field = id_field

    def iter_docs(self) -> Iterator[RawDoc]:
        tf, idf = self.text_column, self.id_field
        for line, obj in iter_jsonl(self.path):
            if tf not in obj:
                raise column_error(self.path, tf, list(obj), "key", line=line)
            doc_id = str(obj.get(idf, "")) if idf else ""
            yield line, doc_id, _check_text(self.path, line, tf, obj[tf])


def _raise_first_bad_utf8_line(path: Path) -> None:
    check_utf8(path)
    raise InputError(path, "not valid UTF-8")


class DelimitedSource(Source):
    """CSV or TSV with a header row (``.gz``/``.bz2``/``.xz`` compression is read transparently).

    ``where=(column, value)`` keeps only the rows whose ``column`` equals ``value``.
    """

    kind = "csv"

    def __init__(
        self,
        path: Path,
        name: str,
        text_column: str,
        id_field: str | None = None,
        *,
        delimiter: str = ",",
        where: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(path, name)
        self.text_column = text_column
        self.id_field = id_field
        self.delimiter = delimiter
        self.where = where

    def iter_docs(self) -> Iterator[RawDoc]:
        csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
        fmt = "TSV" if self.delimiter == "\t" else "CSV"
        with open_binary(self.path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter, strict=True)
            try:
                yield from self._rows(reader, fmt)
            except UnicodeDecodeError:
                _raise_first_bad_utf8_line(self.path)
            except csv.Error as e:
                raise InputError(self.path, f"malformed {fmt}: {e}", line=reader.line_num) from None
            except DECOMPRESS_ERRORS as e:
                raise corrupt_compressed(self.path, e) from None

    def _column(self, header: list[str], name: str, what: str) -> int:
        try:
            return header.index(name)
        except ValueError:
            found = ", ".join(map(repr, header[:20]))
            raise InputError(self.path, f"no column '{name}' (set {what}); columns found: {found}", line=1) from None

    def _rows(self, reader: Any, fmt: str) -> Iterator[RawDoc]:
        header = next(reader, None)
        if header is None:
            raise InputError(self.path, "file is empty (expected a header row)")
        if self.text_column not in header:
            raise column_error(self.path, self.text_column, header, line=1)
        ti = header.index(self.text_column)
        ii = self._column(header, self.id_field, "corpus.id_field") if self.id_field else None
        wi, wv = (self._column(header, self.where[0], "the filter"), self.where[1]) if self.where else (None, "")
        width = len(header)
        for row in reader:
            if not row:  # blank line
                continue
            if len(row) != width:
                raise InputError(
                    self.path, f"malformed {fmt}: expected {width} fields, found {len(row)}", line=reader.line_num
                )
            if wi is not None and row[wi] != wv:
                continue
            yield reader.line_num, row[ii] if ii is not None else "", row[ti]


class ParquetSource(Source):
    """A Parquet file read one record batch at a time."""

    kind = "parquet"

    def __init__(self, path: Path, name: str, text_column: str, id_field: str | None = None) -> None:
        super().__init__(path, name)
        self.text_column = text_column
        self.id_field = id_field

    def iter_docs(self) -> Iterator[RawDoc]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise InputError(self.path, f"not a readable Parquet file: {e}") from None
        schema = pf.schema_arrow
        cols = [self.text_column] + ([self.id_field] if self.id_field else [])
        if self.text_column not in schema.names:
            raise column_error(self.path, self.text_column, list(schema.names))
        if self.id_field and self.id_field not in schema.names:
            found = ", ".join(map(repr, schema.names[:20]))
            raise InputError(self.path, f"no column '{self.id_field}' (set corpus.id_field); found: {found}")
        ttype = schema.field(self.text_column).type
        if pa.types.is_dictionary(ttype):  # dictionary-encoded strings read as their values
            ttype = ttype.value_type
        if not (pa.types.is_string(ttype) or pa.types.is_large_string(ttype)):
            raise InputError(self.path, f"column '{self.text_column}' has type {ttype}, expected strings")
        row = 0
        for batch in pf.iter_batches(batch_size=_PARQUET_BATCH, columns=cols):
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if self.id_field else [""] * len(texts)
            for text, doc_id in zip(texts, ids, strict=True):
                row += 1
                yield row, "" if doc_id is None else str(doc_id), text


def iter_text_files(root: Path) -> Iterator[Path]:
    """``*.txt`` files under ``root``, recursively, in a stable sorted depth-first order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.lower().endswith(".txt"):
                yield Path(dirpath) / fn


class TextFolderSource(Source):
    """A folder of ``.txt`` files, one document per file, found recursively in sorted order."""

    kind = "txt-folder"

    def fingerprint(self) -> str:
        parts = [self.kind, str(self.path.resolve())]
        for p in iter_text_files(self.path):
            st = p.stat()
            parts += [str(p.relative_to(self.path)), str(st.st_size), str(st.st_mtime_ns)]
        return stable_hash(*parts)

    def iter_docs(self) -> Iterator[RawDoc]:
        found = False
        for p in iter_text_files(self.path):
            found = True
            raw = p.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                line = raw.count(b"\n", 0, e.start) + 1
                raise InputError(p, "not valid UTF-8", line=line) from None
            yield 1, p.relative_to(self.path).as_posix(), text
        if not found:
            raise InputError(self.path, "no .txt files found in this folder")


def source_for_path(path: Path, text_column: str, id_field: str | None) -> Source:
    """The reader for a user-supplied file or folder (chosen by suffix)."""
    if not path.exists():
        raise InputError(path, "corpus file or folder not found")
    name = path.name.split(".")[0] or "corpus"
    if path.is_dir():
        return TextFolderSource(path, name)
    fmt = table_format(path)
    compression = sniff_compression(path)
    if compression is not None and fmt not in ("csv", "tsv"):
        raise InputError(path, f"only CSV and TSV files may be compressed ({compression}); decompress this file first")
    if fmt == "jsonl":
        return JsonlSource(path, name, text_column, id_field)
    if fmt == "parquet":
        return ParquetSource(path, name, text_column, id_field)
    return DelimitedSource(path, name, text_column, id_field, delimiter="," if fmt == "csv" else "\t")


class HubSource(Source):
    """``hub:OWNER/NAME[:SPLIT]``: a Hugging Face Hub dataset's split (default ``train``), read
    through ``datasets`` on first use; offline, one DataUnavailableError naming it."""

    kind = "hub"

    def __init__(self, spec: str, text_column: str, id_field: str | None = None) -> None:
        name, _, split = spec.removeprefix("hub:").partition(":")
        super().__init__(Path(spec), name.rsplit("/", 1)[-1] or "hub")
        self.spec, self.dataset, self.split = spec, name, split or "train"
        self.text_column, self.id_field = text_column, id_field
        self._ds: Any = None

    def _load(self) -> Any:
        if self._ds is None:
            self._ds = load_split(f"corpus '{self.spec}'", self.dataset, self.split)
        return self._ds

    def fingerprint(self) -> str:
        return stable_hash(self.kind, self.spec, str(getattr(self._load(), "_fingerprint", "")))

    def iter_docs(self) -> Iterator[RawDoc]:
        cols = [self.text_column] + ([self.id_field] if self.id_field else [])
        frame = column_frame(
            self._load(), cols, f"corpus '{self.spec}' (--text-column / --set corpus.text_column, corpus.id_field)"
        )
        texts = frame[self.text_column].tolist()
        ids = frame[self.id_field].tolist() if self.id_field else [""] * len(texts)
        for row, (text, doc_id) in enumerate(zip(texts, ids, strict=True), start=1):
            yield row, "" if doc_id is None else str(doc_id), None if text is None else str(text)
