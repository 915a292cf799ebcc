"""A dry run's result: what ``synthrr generate`` would do and cost, before any LLM call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthrr.llm.base import LLMRequest
from synthrr.llm.projection import Projection
from synthrr.text import clip

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
        if self.example is not None:
            from synthrr.provenance import chat_text

            shown = clip(self.example.text or chat_text(self.example.messages or ()), SHOWN_CHARS)
            lines += ["first prompt:", shown]
        return "\n".join(lines)
