"""The wire format of the ``openai`` backend: answers parsed into completions (with token counts,
estimated where a server reports none), and errors as one readable line per failure, naming what
to fix, with the server's own message (redacted), never the API key or a password in a URL."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from synthrr.core.errors import BackendError
from synthrr.core.redact import redact_url
from synthrr.llm.base import Completion, FinishReason, LLMRequest
from synthrr.llm.logprobs import mean_logprob

if TYPE_CHECKING:
    import httpx

NAME = "openai"
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "eos_token": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_calls": "stop",
    "function_call": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
}
_CONTEXT_HINTS = (
    "context length",
    "context_length",
    "context size",
    "context window",
    "maximum context",
    "exceed_context",
    "prompt is too long",
    "input is too long",
    "too many tokens",
    "maximum number of tokens",
)
_MAX_SHOWN = (
    300  # characters of a server's message shown in an error  # characters of a server's message shown in an error
)


def server_message(resp: httpx.Response, redact: Callable[[str], str]) -> str:
    """The server's error message as one short line, passed through ``redact``."""
    try:
        text = resp.text
    except Exception:  # undecodable body
        text = ""
    msg: object = None
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            msg = err.get("message") or err.get("msg")
        elif isinstance(err, str) and err:
            msg = err
        if msg is None:
            msg = data.get("message") or data.get("detail")
    if msg is None:
        msg = text
    if not isinstance(msg, str):
        msg = json.dumps(msg)
    line = " ".join(msg.split()) or "(empty body)"
    if len(line) > _MAX_SHOWN:
        line = line[:_MAX_SHOWN] + "..."
    return redact(line)


def malformed(shown: str, why: str) -> BackendError:
    return BackendError(
        NAME, f"malformed response from {shown}: {why}; is base_url an OpenAI-compatible API?", transient=False
    )


def permanent_error(
    resp: httpx.Response, shown: str, path: str, said: str, *, api_key_env: str, key_set: bool, model: str | None
) -> BackendError:
    """A non-retryable HTTP status as a config error where the user can fix it."""
    status = resp.status_code
    where = f"HTTP {status} from {shown}"
    env = api_key_env
    if status in (401, 403):
        state = "is set" if key_set else "is not set"
        return BackendError(
            NAME, f"{where}: bad or missing API key in ${env} (${env} {state}); server said: {said}", config=True
        )
    if status == 404:
        what = "endpoint" if path == "/models" else f"model '{model}' or endpoint"
        return BackendError(
            NAME,
            f"{where}: {what} not found; check llm.options.base_url (usually ending in /v1) "
            f"and llm.options.model; server said: {said}",
            config=True,
        )
    if status in (400, 413, 422) and any(h in said.lower() for h in _CONTEXT_HINTS):
        return BackendError(
            NAME,
            f"{where}: prompt longer than the model's context (use shorter passages, a lower max_tokens "
            f"or a larger context); server said: {said}",
            config=True,
        )
    if 300 <= status < 400:
        loc = redact_url(resp.headers.get("location", "(no Location)"))
        return BackendError(
            NAME, f"{where}: redirected to {loc}; set llm.options.base_url to the final URL", config=True
        )
    if status in (400, 413, 422):
        return BackendError(
            NAME, f"{where}: request rejected (check llm.options and sampling); server said: {said}", config=True
        )
    return BackendError(NAME, f"{where}: request failed; server said: {said}")


def exhausted_error(
    kind: str, detail: str, status: int | None, shown: str, attempts: int, *, base: str, timeout: float
) -> BackendError:
    """The error after the last retry of a transient failure (``kind``: connect, timeout, status, ...)."""
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if kind == "connect":
        return BackendError(NAME, f"cannot reach {base} ({detail}) after {tries}; is the server running?", config=True)
    if kind == "timeout":
        return BackendError(
            NAME, f"no answer from {shown} within {timeout:g}s ({detail}) after {tries}", transient=True
        )
    if kind == "status":
        hint = "; rate limited: lower llm.options.max_concurrency" if status == 429 else ""
        return BackendError(
            NAME, f"HTTP {status} from {shown} after {tries}{hint}; server said: {detail}", transient=True
        )
    return BackendError(NAME, f"connection to {shown} failed ({detail}) after {tries}", transient=True)


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for servers that report no usage."""
    return math.ceil(len(text) / 4) if text else 0


def map_finish_reason(reason: object) -> FinishReason:
    """Map a server's finish_reason onto synthrr's: stop / length / error."""
    if reason is None:
        return "stop"
    return _FINISH.get(str(reason).lower(), "error")


def parse_answer(data: dict[str, Any], req: LLMRequest, url: str) -> tuple[list[Completion], int, bool]:
    """A chat or completion answer -> (completions in choice order, prompt tokens, whether any
    token count was estimated because the server reported no usage). Each completion's ``logprob``
    is read when the request asked for it; a choice without log-probabilities gets ``None``."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise malformed(url, "no 'choices' in the answer")
    if all(isinstance(c, dict) and isinstance(c.get("index"), int) for c in choices):
        choices = sorted(choices, key=lambda c: c["index"])
    texts: list[str] = []
    reasons: list[FinishReason] = []
    logprobs: list[float | None] = []
    for choice in choices:
        texts.append(_choice_text(choice, chat=req.messages is not None, url=url))
        reasons.append(map_finish_reason(choice.get("finish_reason")))
        logprobs.append(mean_logprob(choice.get("logprobs")) if req.sampling.logprobs else None)
    usage = data.get("usage")
    prompt_tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    total_out = usage.get("completion_tokens") if isinstance(usage, dict) else None
    estimated = False
    if not isinstance(prompt_tokens, int) or prompt_tokens < 0:
        prompt_tokens = estimate_prompt(req)
        estimated = True
    guesses = [estimate_tokens(t) for t in texts]
    if not isinstance(total_out, int) or total_out < 0:
        per_choice = guesses
        estimated = True
    elif len(texts) == 1:
        per_choice = [total_out]
    else:  # native n: split the reported total in proportion to the texts' lengths
        weights = guesses if sum(guesses) else [1] * len(guesses)
        per_choice = [total_out * w // sum(weights) for w in weights]
        per_choice[-1] += total_out - sum(per_choice)
    completions = [Completion(*c) for c in zip(texts, reasons, per_choice, logprobs, strict=True)]
    return completions, prompt_tokens, estimated


def _choice_text(choice: object, *, chat: bool, url: str) -> str:
    if not isinstance(choice, dict):
        raise malformed(url, "a choice is not an object")
    if chat:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise malformed(url, "a chat choice has no 'message'")
        text = message.get("content")
    else:
        text = choice.get("text")
    if text is None:
        text = ""  # e.g. a refusal or a tool call: no text content
    if not isinstance(text, str):
        raise malformed(url, "a choice's text is not a string")
    return text


def estimate_prompt(req: LLMRequest) -> int:
    if req.messages is not None:
        return sum(estimate_tokens(m.get("content") or "") + 4 for m in req.messages)
    return estimate_tokens(req.text or "")
