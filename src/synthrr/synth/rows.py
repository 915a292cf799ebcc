"""From a job to its LLM request, and from its completions to synthetic rows with provenance (pure)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from synthrr.core.records import SyntheticExample
from synthrr.core.text import stable_hash
from synthrr.llm.base import LLMRequest, LLMResponse, Sampling
from synthrr.synth.methods import Job
from synthrr.synth.parsing import parse_completion
from synthrr.synth.prompts import Prompt
from synthrr.tasks.base import TaskSpec


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


#: one completion: its text, finish reason and mean token log-probability (None when not asked for)
Answer = tuple[str, str, float | None]


def answers(job: Job, response: LLMResponse | None) -> list[Answer]:
    """The completions of ``job``: its own answer when it needs no LLM, else the response's."""
    if job.answer is not None:
        return [(job.answer, "stop", None)]
    if response is None:
        return []
    return [(c.text, c.finish_reason, c.logprob) for c in response.completions]


def job_rows(
    job: Job, completions: Sequence[Answer], model: str, spec: TaskSpec, truncated: str
) -> tuple[list[SyntheticExample], dict[str, int]]:
    """Each completion of ``job`` parsed into rows (verdict 'kept' for now), and the parse drops by
    reason. A job's own answer (a retrieved passage) is its row as is."""
    rows: list[SyntheticExample] = []
    drops: Counter[str] = Counter()
    for sample, (text, finish, logprob) in enumerate(completions):
        if job.answer is not None:
            texts = [text]
        else:
            parsed = parse_completion(
                text, spec.answer_prefix, finish, truncated=truncated, stop_at=(spec.context_header,)
            )
            if parsed.reason is not None:
                drops[parsed.reason] += 1
                continue
            texts = list(parsed.texts)
        for piece, t in enumerate(texts):
            rows.append(
                SyntheticExample(
                    id=stable_hash(job.id, str(sample), str(piece), size=8),
                    text=t,
                    label=job.label,
                    method=job.method,
                    job_id=job.id,
                    prompt_hash=job.prompt.key,
                    model=model if job.answer is None else "(retrieved: no LLM)",
                    sample=sample,
                    piece=piece,
                    seed_id=job.seed_id,
                    passage_id=job.passage_id,
                    rank=job.rank,
                    score=job.score,
                    demo_ids=job.demo_ids,
                    block=job.block,
                    logprob=logprob,
                )
            )
    return rows, dict(drops)
