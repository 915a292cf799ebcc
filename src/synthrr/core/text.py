"""Pure text helpers shared by tasks, corpora and prompts."""

from __future__ import annotations

import hashlib
import re

# A cheap, engine-independent token count: words and individual punctuation marks.
# It runs at millions of tokens/s and tracks subword counts of English text within ~30%.
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# A sentence end: '.', '!' or '?', with any closing quotes or brackets, before a space or the end.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s|$)")


def normalize_whitespace(text: str) -> str:
    """Collapse every run of whitespace (including newlines) to one space and strip the ends."""
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Split into word and punctuation tokens (see :data:`_TOKEN`)."""
    return _TOKEN.findall(text)


def token_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the :func:`tokenize` tokens of ``text``."""
    return [m.span() for m in _TOKEN.finditer(text)]


def token_ends(text: str) -> list[int]:
    """End offsets of the :func:`tokenize` tokens of ``text``."""
    return [m.end() for m in _TOKEN.finditer(text)]


def last_sentence_end(text: str) -> int | None:
    """Offset just after the last sentence end in ``text``, or ``None`` if it has none."""
    end = None
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
    return end


def sentence_end_tokens(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Indices into ``spans`` (the :func:`token_spans` of ``text``) of the tokens that end a sentence."""
    ends = {m.end() for m in _SENTENCE_END.finditer(text)}
    return {i for i, (_, e) in enumerate(spans) if e in ends}


def count_tokens(text: str) -> int:
    """Number of :func:`tokenize` tokens in ``text``."""
    return sum(1 for _ in _TOKEN.finditer(text))


def content_id(text: str, prefix: str = "p") -> str:
    """Stable id from content: ``prefix-`` + the first 16 hex digits of BLAKE2b of the UTF-8 text."""
    return f"{prefix}-{hashlib.blake2b(text.encode('utf-8'), digest_size=8).hexdigest()}"


def stable_hash(*parts: str, size: int = 8) -> str:
    """Hex digest of the parts joined by NUL; used for fingerprints and cache keys."""
    h = hashlib.blake2b(digest_size=size)
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def clip(text: str, limit: int | None, hint: str = "") -> str:
    """``text`` cut to ``limit`` characters with a note of how many were left out (``hint`` appended to it)."""
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + f" ... ({len(text) - limit:,} more characters{hint})"
