"""Could the generator itself verify labels? A probe of the default model (SmolLM2-135M, llama.cpp)
as a zero-shot label judge, on the validation split, beside the seed-classifier verifier.

For each of ``--n`` validation texts (stratified, cut to the task's max new tokens) the model is
asked which label describes the text; the judge's score of a label is the log-probability of the
label's first token among the engine's top-20 first tokens. *raw* takes the best label;
*calibrated* first subtracts each label's mean score over the texts (contextual calibration: the
model's prior for a label word is not evidence). Printed beside them: the verifier's accuracy on the
same texts (fitted on the default seed set), and how often and how precisely both agree.

    .venv/bin/python -m bench.judge --tasks imdb rotten_tomatoes bbc_news --n 100
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

LOW = -30.0  # score of a label whose first token is not among the top 20


def judge_scores(server: Any, text: str, labels: list[str]) -> dict[str, float]:
    """First-token log-probability of each label when the model is asked to name the text's label."""
    q = f"{text}\n\nWhich of these describes the text above: {', '.join(labels)}? Answer with one word."
    out = server.handle_chat_completions(
        {
            "messages": [{"role": "user", "content": q}],
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": 20,
        }
    )
    best = dict.fromkeys(labels, LOW)
    for t in out["choices"][0]["logprobs"]["content"][0]["top_logprobs"]:
        tok = t["token"].strip().lower()
        for lab in labels:
            if len(tok) >= 2 and lab.lower().startswith(tok):
                best[lab] = max(best[lab], float(t["logprob"]))
    return best


def probe(server: Any, name: str, n: int) -> dict[str, float]:
    from synthrr.config import RunConfig
    from synthrr.stages.seeds import draw_seed_set
    from synthrr.synth.consistency import SeedClassifierFilter
    from synthrr.synth.prompts import cut_context
    from synthrr.tasks.sampling import stratified_subsample

    task, seeds = draw_seed_set(RunConfig().with_overrides({"task": name}))
    labels = task.spec.label_names
    val = stratified_subsample(task.load_split("validation"), n, seed=0)
    texts = [cut_context(e.text, 1, task.spec.max_new_tokens) or e.text for e in val]
    truth = [e.label for e in val]
    scores = [judge_scores(server, t, labels) for t in texts]
    mean = {lab: sum(s[lab] for s in scores) / len(scores) for lab in labels}
    raw = [max(labels, key=lambda lab, s=s: s[lab]) for s in scores]
    cal = [max(labels, key=lambda lab, s=s: s[lab] - mean[lab]) for s in scores]
    ver = SeedClassifierFilter(seeds, "tfidf+minilm", require_agreement=True).predict(texts)
    both = [(v, t) for v, j, t in zip(ver, cal, truth, strict=True) if v == j]

    def acc(pred: list[str]) -> float:
        return sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth)

    return {
        "judge_raw": acc(raw),
        "judge_calibrated": acc(cal),
        "verifier": acc(ver),
        "both_agree_share": len(both) / len(truth),
        "both_agree_precision": sum(v == t for v, t in both) / max(1, len(both)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["imdb", "rotten_tomatoes", "bbc_news"])
    p.add_argument("--n", type=int, default=100, help="validation texts per task [100]")
    p.add_argument("--threads", type=int, default=None, help="engine threads [all cores]")
    args = p.parse_args(argv)
    from synthrr.llm.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend.from_options({"n_parallel": 1, "n_ctx": 1024, "threads": args.threads})
    print("| task | judge, raw % | judge, calibrated % | verifier % | both agree: share % | both agree: precision % |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.tasks:
        r = probe(backend.server, name, args.n)
        print(
            f"| {name} | {100 * r['judge_raw']:.0f} | {100 * r['judge_calibrated']:.0f} | {100 * r['verifier']:.0f} | "
            f"{100 * r['both_agree_share']:.0f} | {100 * r['both_agree_precision']:.0f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
