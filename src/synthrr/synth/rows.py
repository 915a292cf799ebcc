"""From a job to its LLM request, and from its completions to synthetic rows with provenance (pure)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from synthrr.llm.base import LLMRequest, Sampling
from synthrr.records import SyntheticExample
from synthrr.synth.methods import Job
from synthrr.synth.parsing import parse_completion
from synthrr.synth.prompts import Prompt
from synthrr.tasks.base import TaskSpec
from synthrr.text import stable_hash


def prompt_text(prompt: Prompt) -> str:
    """A prompt as stored beside the rows: the completion text, or the chat messages as JSON."""
    if prompt.messages is not None:
        return json.dumps([dict(m) for m in prompt.messages], ensure_ascii=False)
    return prompt.text or ""


def job_request(job: Job, base: Sampling, stop: tuple[str, ...]) -> LLMRequest:
    """The request for ``job``: the round's sampling with the job's seed offset and extra stops."""
    sampling = replace(base, seed=base.seed + job.sampling_seed, stop=base.stop + stop)
    group = job.prefix_group
    if job.prompt.messages is not None:
        return LLMRequest(messages=job.prompt.messages, sampling=sampling, group=group)
    return LLMRequest(text=job.prompt.text, sampling=sampling, group=group)


def job_rows(
    job: Job, completions: Sequence[tuple[str, str]], model: str, spec: TaskSpec, truncated: str
) -> tuple[list[SyntheticExample], dict[str, int]]:
    """Each completion of ``job`` parsed into rows (verdict 'kept' for now), and the parse drops by reason."""
    rows: list[SyntheticExample] = []
    drops: Counter[str] = Counter()
    for sample, (text, finish) in enumerate(completions):
        parsed = parse_completion(text, spec.answer_prefix, finish, truncated=truncated, stop_at=(spec.context_header,))
        if parsed.reason is not None:
            drops[parsed.reason] += 1
            continue
        for piece, t in enumerate(parsed.texts):
            rows.append(
                SyntheticExample(
                    id=stable_hash(job.id, str(sample), str(piece), size=8),
                    text=t,
                    label=job.label,
                    method=job.method,
                    job_id=job.id,
                    prompt_hash=job.prompt.key,
                    model=model,
                    sample=sample,
                    piece=piece,
                    seed_id=job.seed_id,
                    passage_id=job.passage_id,
                    rank=job.rank,
                    score=job.score,
                    demo_ids=job.demo_ids,
                    block=job.block,
                )
            )
    return rows, dict(drops)
