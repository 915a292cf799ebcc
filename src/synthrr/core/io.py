"""Atomic writes and tolerant-but-strict table readers.

Nothing is ever half-written: every writer goes to a temporary name in the same folder and is
renamed into place. Files and folders get the permissions a plain ``open()`` / ``mkdir()`` would
give them (0666 / 0777 less the umask), not ``tempfile``'s owner-only ones. Readers raise
:class:`~synthrr.core.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import json
import lzma
import os
import secrets
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import yaml

from synthrr.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def _new_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def _new_dir(path: Path) -> None:
    os.mkdir(path, 0o777)


def _temp_name(path: Path, suffix: str, create: Callable[[Path], None]) -> Path:
    """Create a fresh ``.<name>.<random><suffix>`` next to ``path`` with ``create`` and return it.

    Unlike ``tempfile.mkstemp`` / ``mkdtemp`` (always 0600 / 0700), the file is created with mode
    0666 and the folder with 0777, so the kernel applies the process umask (and any default ACL)
    exactly as for a plain ``open()`` / ``mkdir()``: outputs are as readable as the user's other
    files. The umask is never read: ``os.umask`` can only be read by setting it, process-wide,
    which would race with other threads creating files.
    """
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{suffix}"
        try:
            create(tmp)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name next to {path}")


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _temp_name(path, suffix + ".tmp", _new_file)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` when the block exits cleanly."""
    with atomic_path(path) as tmp:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding}
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and rename it onto ``path`` on success.

    A folder already at ``path`` is first renamed aside and removed only once the new one is in
    place, so ``path`` never holds a half-built or half-removed folder (and a failure keeps it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path, ".tmp", _new_dir)
    old: Path | None = None
    try:
        yield tmp
        if path.exists():
            old = _temp_name(path, ".old.tmp", _new_dir)
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        if old is not None and not path.exists():
            os.replace(old, path)
        raise
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_open(path) as fh:
        json.dump(obj, fh, indent=2, sort_keys=False, default=str)
        fh.write("\n")


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as Parquet atomically."""
    with atomic_path(path, suffix=".parquet") as tmp:
        df.to_parquet(tmp, index=False)


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame atomically in the format its suffix names (Parquet, JSONL, CSV or TSV)."""
    fmt = table_format(path)
    if fmt == "parquet":
        write_parquet(df, path)
        return
    with atomic_open(path) as fh:
        if fmt == "jsonl":
            fh.write(df.to_json(orient="records", lines=True, force_ascii=False))
        else:
            fh.write(df.to_csv(index=False, sep="\t" if fmt == "tsv" else ","))


def read_yaml_mapping(path: str | Path, what: str = "file") -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping (an empty file is ``{}``).

    Non-UTF-8 bytes, malformed YAML (with its line) and a non-mapping top level raise InputError.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(p, f"{what} is not valid UTF-8") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(p, f"malformed YAML: {getattr(e, 'problem', None) or e}", line=line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(p, f"expected a mapping at the top level, got {type(data).__name__}")
    return data


def require_file(path: str | Path, what: str = "file") -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(p, f"{what} not found")
    if p.is_dir():
        raise InputError(p, f"expected a {what}, found a folder")
    return p


def writable_dir(path: str | Path, what: str = "output folder") -> Path:
    """Check, before any work, that ``path`` can be (or already is) a folder this process can write
    into: not a file, and its nearest existing ancestor writable. Creates nothing."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise InputError(p, f"{what} is a file; give a folder")
    _check_writable(p, what)
    return p


def writable_file(path: str | Path, what: str = "output file") -> Path:
    """Check, before any work, that a file can be written at ``path`` (not a folder, folder writable)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(p, f"{what} is a folder; give a file name")
    _check_writable(p.parent, what)
    return p


def _check_writable(p: Path, what: str) -> None:
    """Create and remove a temporary file in the nearest existing folder (what permissions, a
    read-only mount or a pseudo file system really allow, whoever runs this)."""
    probe = p
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(probe, f"is a file, so the {what} {p} cannot be created")
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".synthrr-probe-"):
            pass
    except OSError as e:
        raise InputError(probe, f"cannot write here ({e.strerror}), so the {what} {p} cannot be written") from None


#: leading bytes of each compression a reader opens transparently, and its opener
COMPRESSIONS: dict[str, tuple[bytes, Callable[..., Any]]] = {
    "gzip": (b"\x1f\x8b", gzip.open),
    "bz2": (b"BZh", bz2.open),
    "xz": (b"\xfd7zXZ\x00", lzma.open),
}


def sniff_compression(path: Path) -> str | None:
    """The compression of ``path`` told by its first bytes (``gzip``, ``bz2``, ``xz``), not its suffix."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((name for name, (magic, _) in COMPRESSIONS.items() if head.startswith(magic)), None)


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed when its content is gzip, bz2 or xz."""
    kind = sniff_compression(path)
    if kind is None:
        return open(path, "rb")
    fh: IO[bytes] = COMPRESSIONS[kind][1](path, "rb")
    return fh


def open_text(path: Path) -> IO[str]:
    """``path`` opened for reading UTF-8 text (a BOM dropped, newlines kept as in the file for
    ``csv``), decompressed like :func:`open_binary`."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


def corrupt_compressed(path: Path, e: BaseException) -> InputError:
    """The error for a compressed file that ends early or is damaged (``EOFError`` / ``OSError`` /
    ``LZMAError`` while decompressing), naming the file."""
    detail = str(e) or type(e).__name__
    if isinstance(e, EOFError):
        detail = "it ends before the end of the compressed stream"
    kind = sniff_compression(path)
    if kind is None:
        return InputError(path, f"cannot be read ({detail})")
    return InputError(path, f"{kind} data is truncated or damaged ({detail}); recompress or download the file again")


#: what decompressing a damaged file raises (a truncated stream: EOFError; gzip.BadGzipFile is an OSError)
DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, lzma.LZMAError, zlib.error)


TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def table_format(path: str | Path) -> str:
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    for s in reversed(suffixes):
        if s in TABLE_FORMATS:
            return TABLE_FORMATS[s]
    raise InputError(p, f"unsupported file type; expected one of {', '.join(sorted(TABLE_FORMATS))}")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; malformed lines raise InputError."""
    p = require_file(path)
    with open(p, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(p, f"not valid UTF-8 (byte offset {e.start} in the line)", line=lineno) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(p, f"malformed JSON: {e.msg} (column {e.colno})", line=lineno) from None
            if not isinstance(obj, dict):
                raise InputError(p, f"expected a JSON object, got {type(obj).__name__}", line=lineno)
            yield lineno, obj


def check_utf8(path: Path) -> None:
    """Raise InputError naming the first line that is not UTF-8 (of the decompressed text when the
    file is compressed; a damaged compressed file is named too)."""
    try:
        with open_binary(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise InputError(
                        path, f"not valid UTF-8 (byte offset {e.start} in the line)", line=lineno
                    ) from None
    except DECOMPRESS_ERRORS as e:
        raise corrupt_compressed(path, e) from None


def read_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV / TSV / JSONL / Parquet file into a DataFrame of strings-as-read.

    Errors name the file (and line for text formats); required ``columns`` must exist.
    """
    import pandas as pd

    p = require_file(path)
    fmt = table_format(p)
    if fmt in ("csv", "tsv"):
        check_utf8(p)
        try:
            comp = sniff_compression(p)
            df = pd.read_csv(p, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False, compression=comp)
        except pd.errors.ParserError as e:
            raise InputError(p, f"malformed {fmt.upper()}: {e}") from None
        except pd.errors.EmptyDataError:
            raise InputError(p, "file is empty") from None
    elif fmt == "jsonl":
        df = pd.DataFrame([obj for _, obj in iter_jsonl(p)])
    else:
        try:
            df = pd.read_parquet(p)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise InputError(p, f"not a readable Parquet file: {e}") from None
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InputError(
                p, f"missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(repr, df.columns))}"
            )
    return df
