"""Keeping credentials out of everything synthrr writes or prints.

A secret can reach synthrr in three places: an API key in an environment variable (only its *name*
is configured, ``llm.options.api_key_env``), credentials in a URL (``https://user:PASSWORD@host/v1``,
``https://host/v1?key=SECRET``), and options whose name says they are secret (``api_key``, ``token``,
``password``, ...). The helpers here are pure:

- :func:`redact_url` shows a URL without its secrets (userinfo dropped, query values ``***``);
- :func:`redact` walks a config mapping and redacts such URLs and secret-named options; run configs,
  manifests and fingerprints are written from its result;
- :func:`expand_env` fills ``${NAME}`` placeholders from the environment, so a config can name a
  secret without holding it (``base_url: https://host/v1?key=${MY_KEY}``);
- :func:`scrub` removes given secret strings from free text (error messages, logs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"
#: option names whose string value is a secret (whole name, case-insensitive; ``api_key_env`` is not)
SECRET_NAME = re.compile(
    r"^(api[_-]?key|key|token|access[_-]?token|auth[_-]?token|secret|client[_-]?secret|password|passwd|authorization)$",
    re.IGNORECASE,
)
#: query parameters that are settings, not credentials (kept so that two endpoints stay apart)
PUBLIC_QUERY = frozenset({"api-version", "api_version", "version"})
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _looks_like_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and ("@" in value or "?" in value or "#" in value)


def redact_url(url: str) -> str:
    """``url`` without its userinfo and fragment, every query value (but :data:`PUBLIC_QUERY`'s) shown
    as ``***``; ``${NAME}`` placeholders stay (they are names, not secrets)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:  # dropped, not masked: the same endpoint keeps the same identity (and cache keys)
        netloc = netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, v if k.lower() in PUBLIC_QUERY or _PLACEHOLDER.fullmatch(v) else MASK) for k, v in pairs], safe="*${}"
        )
    return urlunsplit(parts._replace(netloc=netloc, query=query, fragment=""))


def url_secrets(url: str) -> list[str]:
    """The secret strings inside ``url`` (password, user name, query values), for :func:`scrub`."""
    parts = urlsplit(url)
    found = [f(v) for v in (parts.username, parts.password) if v for f in (str, unquote)]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in PUBLIC_QUERY and v]
    raw = [p.partition("=") for p in parts.query.split("&")]  # as written (percent-encoded) too
    found += [v for k, _, v in raw if v and unquote_plus(k).lower() not in PUBLIC_QUERY]
    return [s for s in found if len(s) >= 3]


def redact(data: Any, name: str = "") -> Any:
    """A copy of a config mapping (or any JSON-like value) with secret-named string options and the
    secrets inside URLs masked; other values unchanged."""
    if isinstance(data, Mapping):
        return {k: redact(v, str(k)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact(v, name) for v in data]
    if isinstance(data, str):
        if data and SECRET_NAME.match(name) and not _PLACEHOLDER.fullmatch(data):
            return MASK
        if _looks_like_url(data):
            return redact_url(data)
    return data


def expand_env(text: str, where: str) -> str:
    """``text`` with each ``${NAME}`` replaced by the environment variable NAME; a ``ValueError``
    naming ``where`` and the variable when one is unset."""

    def value(m: re.Match[str]) -> str:
        got = os.environ.get(m.group(1))
        if got is None:
            raise ValueError(f"{where}: environment variable {m.group(1)} is not set")
        return got

    return _PLACEHOLDER.sub(value, text)


def join_url(base: str, path: str) -> str:
    """``base`` with ``path`` appended to its path, its query string kept after it
    (``https://h/v1?k=1`` + ``/models`` -> ``https://h/v1/models?k=1``)."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***`` (longest first)."""
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text
