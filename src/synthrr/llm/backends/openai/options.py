"""Options of the ``openai`` backend (``llm.options``), validated: what a user may set and what not."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from synthrr.llm.base import BackendOptions

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_BODY_KEYS = frozenset({"model", "messages", "prompt", "n", "stream"})


class OpenAIOptions(BackendOptions):
    """Options of the ``openai`` backend (``llm.options``)."""

    base_url: str = Field(..., description="server root including the API prefix, e.g. http://127.0.0.1:8000/v1")
    model: str | None = Field(None, description="served model name; default: the first one listed by GET /models")
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="NAME of the environment variable holding the API key (unset: no key sent)"
    )
    organization: str | None = Field(None, description="sent as the OpenAI-Organization header")
    max_concurrency: int = Field(8, ge=1, le=512, description="requests in flight at once")
    timeout: float = Field(120.0, gt=0, le=3600, description="seconds to wait for one answer")
    max_retries: int = Field(5, ge=0, le=50, description="retries of a request on 429, 5xx, timeouts, dropped links")
    backoff_base: float = Field(0.5, ge=0, le=60, description="first backoff ceiling in seconds (doubles per retry)")
    backoff_max: float = Field(30.0, ge=0, le=600, description="longest wait between retries, Retry-After included")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="server-specific fields added to each body")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="body field for the token limit (newer OpenAI chat models need max_completion_tokens)"
    )
    native_n: bool = Field(False, description="ask for n choices in one request instead of n seeded requests")
    requests_per_minute: float | None = Field(None, gt=0, description="client-side limit on requests per minute")
    tokens_per_minute: float | None = Field(
        None, gt=0, description="client-side limit on tokens per minute (prompt estimate + max_tokens per request)"
    )
    adaptive_concurrency: bool = Field(
        True, description="halve the requests in flight on each HTTP 429, grow back by one per run of successes"
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8000/v1")
        return v

    @field_validator("api_key_env")
    @classmethod
    def _check_env_name(cls, v: str) -> str:
        if not _ENV_NAME.match(v):
            raise ValueError(
                "must be the NAME of an environment variable that holds the key (e.g. OPENAI_API_KEY), not the key"
            )
        return v

    @field_validator("extra_body")
    @classmethod
    def _check_extra_body(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(_RESERVED_BODY_KEYS & set(v))
        if bad:
            raise ValueError(f"may not set {', '.join(bad)} (synthrr sets them itself)")
        return v
