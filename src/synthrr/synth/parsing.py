"""Turn raw completions into example texts, or a reason for dropping them.

Following the parser in the SynthesizRR paper's code (Divekar & Durrett 2024): split on the answer prefix and keep each
non-empty piece; strip surrounding quotes; additionally strip chat preambles ("Here is ...:",
"Sure, ...") and drop refusals and empties; completions cut at ``max_tokens`` are trimmed to their
last sentence end, or their last whole word when they have none (or dropped, or kept, as
configured). A small model sometimes goes on to write the next prompt block itself ("Movie
details: ..."): text from a ``stop_at`` marker (the task's context header) on is cut, like a stop
sequence, and the answer counts as finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthrr.core.text import last_sentence_end

_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely)[,!.]?\s*)?"
    r"(?:here(?:'s| is| are)\b[^\n:]*[:.]|(?:i'd|i would) be happy to[^\n:]*[:.])\s*",
    re.IGNORECASE,
)
_LEADING_ACK = re.compile(r"^\s*(?:sure|certainly|of course|okay|absolutely)[,!.]\s+", re.IGNORECASE)
_REFUSAL = re.compile(
    r"^\s*(?:i'?m sorry|i am sorry|i apologi[sz]e|i can(?:not|'t)\b|i'm (?:unable|not able)|"
    r"as an ai\b|i do not feel comfortable|unable to (?:summari[sz]e|rewrite|review|write))",
    re.IGNORECASE,
)
_QUOTES = "\"'“”‘’`"


@dataclass(slots=True, frozen=True)
class Parsed:
    """Example texts from one completion (empty when dropped), and why it was dropped."""

    texts: tuple[str, ...]
    reason: str | None = None


def strip_quotes(text: str) -> str:
    t = text.strip()
    while len(t) >= 2 and t[0] in _QUOTES and t[-1] in _QUOTES:
        t = t[1:-1].strip()
    if t.count('"') == 1:
        t = t.replace('"', "").strip()
    return t


def clean_piece(piece: str) -> str:
    """Remove a preamble line, surrounding quotes and blank space from one candidate text."""
    t = piece.strip()
    t = _PREAMBLE.sub("", t, count=1)
    t = _LEADING_ACK.sub("", t, count=1)
    return " ".join(strip_quotes(t).split())


def trim_to_sentence(text: str) -> str:
    """What a completion stopped at ``max_tokens`` can keep: ``text`` cut after its last sentence
    end ('.', '!' or '?', optionally closing quotes); a text with none (a task whose texts carry no
    punctuation, which the model imitates) loses only its last, possibly cut, word."""
    end = last_sentence_end(text)
    if end is not None:
        return text[:end].rstrip()
    head, _, _ = text.rstrip().rpartition(" ")
    return head.rstrip()


def cut_at_markers(text: str, markers: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the first marker found after its start (any case), and whether it was cut."""
    low = text.lower()
    cuts = [i for m in markers if m.strip() and (i := low.find(m.strip().lower(), 1)) > 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


def parse_completion(
    text: str, answer_prefix: str, finish_reason: str, *, truncated: str = "trim", stop_at: tuple[str, ...] = ()
) -> Parsed:
    """Parse one completion; see the module docstring for the rules. ``truncated`` says what to do
    with a completion that stopped at ``max_tokens``: ``trim`` (to its last sentence end), ``drop``
    or ``keep``. ``stop_at``: markers that end the answer wherever they occur."""
    if finish_reason == "error":
        return Parsed((), "llm_error")
    text, cut = cut_at_markers(text, stop_at)
    if cut:
        finish_reason = "stop"
    if finish_reason == "length" and truncated != "keep":
        text = trim_to_sentence(text) if truncated == "trim" else ""
        if not text.strip():
            return Parsed((), "truncated")
    if not text.strip():
        return Parsed((), "empty")
    body = _PREAMBLE.sub("", text.strip(), count=1)
    prefix = answer_prefix.strip()
    # the prefix starts a new example only at the start of a line (any case)
    pieces = re.split(rf"(?:^|\n)[ \t]*{re.escape(prefix)}", body, flags=re.IGNORECASE) if prefix else [body]
    texts = tuple(t for t in (clean_piece(p) for p in pieces) if t)
    if not texts:
        return Parsed((), "empty")
    if _REFUSAL.match(body):
        return Parsed((), "refusal")
    if any(_REFUSAL.match(t) for t in texts):
        texts = tuple(t for t in texts if not _REFUSAL.match(t))
        if not texts:
            return Parsed((), "refusal")
    return Parsed(texts)
