"""What a batch of LLM requests will cost, estimated before it is sent.

:class:`~synthrr.llm.client.LLMClient` projects every batch (printed with progress on, and checked
against the budget before anything is sent). Prompt lengths are estimated from word counts on the
high side; the client scales the estimate up once the engine reports real counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthrr.core.text import count_tokens
from synthrr.llm.base import LLMRequest

# count_tokens() counts words and punctuation; subword tokenizers give ~1.0-1.3x as many.
PROMPT_TOKEN_FACTOR = 1.3
CHAT_TEMPLATE_TOKENS = 32  # chat templates add role markers and often a default system prompt
MESSAGE_TOKENS = 4  # role markers per message


def estimate_prompt_tokens(request: LLMRequest) -> int:
    """A deliberately high estimate of a prompt's length in model tokens (for projections).

    The client scales it up once real counts arrive if the model's tokenizer needs more."""
    if request.messages is not None:
        words = sum(count_tokens(m.get("content", "")) for m in request.messages)
        return int(words * PROMPT_TOKEN_FACTOR) + CHAT_TEMPLATE_TOKENS + MESSAGE_TOKENS * len(request.messages)
    return int(count_tokens(request.text or "") * PROMPT_TOKEN_FACTOR) + 1


@dataclass(slots=True, frozen=True)
class Projection:
    """What a batch will cost, computed before it starts (token counts are upper-bound estimates)."""

    requests: int
    completions: int
    cached: int
    to_send: int
    prompt_tokens: int
    completion_tokens: int
    cost: float
    over_budget: tuple[str, ...] = ()

    def format(self, label: str) -> str:
        line = (
            f"LLM {label}: {self.requests} requests, {self.completions} completions, {self.cached} cached, "
            f"{self.to_send} to generate; est. <= {self.prompt_tokens + self.completion_tokens:,} tokens "
            f"({self.prompt_tokens:,} prompt + <= {self.completion_tokens:,} completion)"
        )
        if self.cost:
            line += f", est. cost <= {self.cost:.4f}"
        if self.over_budget:
            line += f"; exceeds the budget ({', '.join(self.over_budget)}): the run will stop before that"
        return line
