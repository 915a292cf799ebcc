"""Mean token log-probabilities: asked of OpenAI-style servers (llama.cpp's in-process server and
HTTP ones) and read from their answers, and the one mean every backend reports.

Both ask for one top alternative per token (``top_logprobs`` / ``logprobs`` of 1): llama.cpp
answers 0 with no log-probabilities at all. llama.cpp's values are pre-sampling (the model's
softmax, unchanged by temperature or top-p) unless ``post_sampling_probs`` is set, which we never send.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def request_fields(*, chat: bool) -> dict[str, Any]:
    """Body fields asking for the sampled tokens' log-probabilities (chat or completions endpoint)."""
    return {"logprobs": True, "top_logprobs": 1} if chat else {"logprobs": 1}


def mean(values: Iterable[float]) -> float | None:
    """The mean of per-token log-probabilities; ``None`` when there are none or it is not finite
    (the cache stores only finite numbers)."""
    got = [float(v) for v in values]
    if not got:
        return None
    avg = math.fsum(got) / len(got)
    return avg if math.isfinite(avg) else None


def mean_logprob(logprobs: object) -> float | None:
    """The mean per-token log-probability in a choice's ``logprobs`` object, or ``None`` when it is
    missing or malformed. Shapes: chat (and llama.cpp's completions) ``{"content": [{"logprob": x},
    ...]}``; legacy completions ``{"token_logprobs": [x, ...]}``, whose ``null`` entries (an echoed
    first prompt token) are skipped."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if isinstance(content, list):
        values = [t.get("logprob") if isinstance(t, dict) else None for t in content]
    else:
        listed = logprobs.get("token_logprobs")
        if not isinstance(listed, list):
            return None
        values = [v for v in listed if v is not None]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return mean(numbers) if len(numbers) == len(values) else None
