"""A dry run's result: what ``synthrr generate`` would do and cost, before any LLM call."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.core.errors import UsageError
from synthrr.core.log import step
from synthrr.core.text import clip
from synthrr.llm.base import LLMRequest
from synthrr.llm.projection import Projection
from synthrr.run.provenance import chat_text

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.llm.client import LLMClient

SHOWN_CHARS = 3000  # of the first prompt


@dataclass
class Plan:
    """What a run would do (:meth:`Generator.plan`): its folder, quotas, the first round's cost."""

    run_dir: Path
    targets: dict[str, int]
    first_round: Projection
    max_prompts: int
    example: LLMRequest | None
    label: str
    forecast: Forecast | None = None

    def __repr__(self) -> str:
        p = self.first_round
        when = "" if self.forecast is None else f", up to ~{duration(self.forecast.seconds)}"
        return (
            f"Plan({str(self.run_dir)!r}, round 1: {p.requests} requests, {p.cached} cached, "
            f"<= {p.prompt_tokens + p.completion_tokens:,} tokens{when})"
        )

    def format(self) -> str:
        """The plan in a few lines; the whole run's cost scales with the prompts it takes (at most max_prompts)."""
        p = self.first_round
        per_prompt = (p.prompt_tokens + p.completion_tokens) / max(1, p.to_send)
        lines = [
            f"dry run: nothing sent, nothing written; the run directory would be {self.run_dir}",
            "quota per label: " + ", ".join(f"{lab}={n}" for lab, n in self.targets.items()),
            "round 1: " + p.format(self.label),
            f"whole run: at most {self.max_prompts} prompts (synthesis.max_prompts); at the first round's "
            f"{per_prompt:,.0f} tokens per prompt sent, <= {per_prompt * self.max_prompts:,.0f} tokens",
        ]
        if self.forecast is not None and p.to_send:
            f = self.forecast
            source = "measured on earlier runs of this model" if f.measured else "a default for this backend"
            lines.append(f"time: round 1 up to ~{duration(f.seconds)} at {f.tokens_per_s:,.0f} tokens/s ({source})")
        if self.example is not None:
            shown = clip(self.example.text or chat_text(self.example.messages or ()), SHOWN_CHARS)
            lines += ["first prompt:", shown]
        return "\n".join(lines)


#: engine speed assumed before a model has been measured: prompt plus completion tokens per second.
#: llamacpp: SmolLM2-135M on 2 CPU threads, ~320-token prompts and 64 new tokens at 0.9 requests/s
#: (docs/bench-llm.md); transformers: the same model on a CPU through PyTorch, roughly; openai: a
#: hosted or local server. A run's own measurement replaces it (:func:`measured_tokens_per_s`).
DEFAULT_TOKENS_PER_S = {"llamacpp": 350.0, "transformers": 100.0, "openai": 2000.0, "fake": 1e6}
FALLBACK_TOKENS_PER_S = 300.0  # a backend not listed above
LONG_RUN_ENV = "SYNTHRR_LONG_RUN_S"
LONG_RUN_S = 300.0  # projected seconds from which generate says so before it starts
FIRST_LOOK_N = 50  # the --n suggested for a first look


@dataclass(frozen=True)
class Forecast:
    """A run's projected LLM work and time, from round 1's projection (which asks for each
    label's whole need at the starting yield, so it is close to the whole run)."""

    projection: Projection
    tokens_per_s: float
    measured: bool  # the speed comes from earlier runs of this model, not a default
    n: int

    @property
    def seconds(self) -> float:
        p = self.projection
        return (p.prompt_tokens + p.completion_tokens) / self.tokens_per_s

    def format(self) -> str:
        """Two lines: what the run will send and take, and a smaller ``--n`` for a first look."""
        p, speed = self.projection, f"{self.tokens_per_s:,.0f} tokens/s"
        where = "measured on earlier runs of this model" if self.measured else "a default for this backend"
        lines = [
            f"a long run: about {p.to_send:,} LLM calls, <= {p.prompt_tokens + p.completion_tokens:,} tokens, "
            f"up to ~{duration(self.seconds)} at {speed} ({where}; {LONG_RUN_ENV} sets when this shows)"
        ]
        if self.n > FIRST_LOOK_N:
            small = self.seconds * FIRST_LOOK_N / self.n
            lines.append(
                f"for a first look try --n {FIRST_LOOK_N} (up to ~{duration(small)}); "
                "--dry-run shows the first prompt and sends nothing"
            )
        return "\n".join(lines)


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def long_run_threshold() -> float:
    """Seconds from which a run counts as long (``$SYNTHRR_LONG_RUN_S``, default 300)."""
    raw = os.environ.get(LONG_RUN_ENV, "").strip()
    if not raw:
        return LONG_RUN_S
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"{LONG_RUN_ENV}={raw!r} is not a number of seconds; set it to e.g. 300") from None


def measured_tokens_per_s(out: Path, model: str) -> float | None:
    """Prompt plus completion tokens per engine second over the runs under ``out`` that used ``model``
    (from their manifests), or ``None`` when none measured it."""
    tokens, seconds = 0, 0.0
    for path in sorted(out.glob("*/manifest.json")):
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        llm = m.get("llm") if isinstance(m, dict) else None
        if not isinstance(llm, dict) or m.get("model", {}).get("identity") != model:
            continue
        tokens += int(llm.get("prompt_tokens", 0)) + int(llm.get("completion_tokens", 0))
        seconds += float(llm.get("seconds", 0.0))
    return tokens / seconds if seconds > 0 and tokens > 0 else None


def forecast(projection: Projection, *, backend: str, model: str, out: Path, n: int) -> Forecast:
    """Round 1's projection timed at the measured speed of ``model`` (else the backend's default)."""
    measured = measured_tokens_per_s(out, model)
    speed = measured or DEFAULT_TOKENS_PER_S.get(backend, FALLBACK_TOKENS_PER_S)
    return Forecast(projection, speed, measured is not None, n)


def forecast_requests(cfg: RunConfig, client: LLMClient, requests: list[LLMRequest]) -> Forecast:
    """The :func:`forecast` of ``requests`` through ``client``'s cache, at the speed of ``cfg``'s backend."""
    out = Path(cfg.out) if cfg.out else Path("runs")
    projection = client.project(requests)
    return forecast(projection, backend=client.backend.name, model=client.model, out=out, n=cfg.synthesis.n)


def warn_if_long(cfg: RunConfig, client: LLMClient, requests: list[LLMRequest]) -> None:
    """Say the forecast of ``requests`` (round 1 of a run), a step line, when it passes the long-run threshold."""
    threshold = long_run_threshold()  # a bad SYNTHRR_LONG_RUN_S is an error even when nothing is sent
    if not requests:
        return
    fc = forecast_requests(cfg, client, requests)
    if fc.projection.to_send and fc.seconds >= threshold:
        step(fc.format())
