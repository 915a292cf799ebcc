"""The quality benchmark's protocol, as pure functions: targets, draws (mean ± std), paired comparison,
tables and the hand-written analysis block. Used by ``bench/quality.py`` and ``bench/paired.py``.

A *summary* is one task's result: ``{"task", "rows": {row name: compare row}, "info": {row name: ...},
...}``. Several draws of a task (other seed set, demonstrations and sampling seeds) are combined by
:func:`aggregate` into one summary whose numbers are means, with each metric's standard deviation
over draws under ``KEY_sd`` and the per-draw values under ``KEY_draws``.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthrr.report.table import COLUMNS as EVAL_COLUMNS

#: (row key, column title) of the results tables: compare's columns without run name and method
COLUMNS = tuple((key, title) for key, title in EVAL_COLUMNS if key not in ("name", "method"))
#: the numbers a draw contributes (students: the mean over their fits)
METRICS = (
    "n",
    "self_bleu_5",
    "distinct_2",
    "entity_entropy",
    "within_cosine",
    "mauve",
    "label_preservation",
    "accuracy_mean",
    "macro_f1_mean",
    "alt_accuracy_mean",  # a second student's accuracy (bench/quality.py --student A B)
)
#: the targets for SynthesizRR-3 against FewGen-32: (row key, title, higher is better)
TARGETS = (
    ("self_bleu_5", "Self-BLEU-5", False),
    ("entity_entropy", "entity entropy", True),
    ("mauve", "MAUVE", True),
    ("accuracy_mean", "student accuracy", True),
)
GOLD_SHARE = 0.85  # SynthesizRR-3's student must reach this share of Gold's accuracy
#: a hand-written analysis between these markers survives a rewrite of the results file
ANALYSIS_BEGIN, ANALYSIS_END = "<!-- analysis: begin -->", "<!-- analysis: end -->"


def check_targets(rows: dict[str, dict[str, Any]], ours: str = "SynthesizRR-3", base: str = "FewGen-32") -> list[str]:
    """One Markdown bullet per target: met / NOT met, with both values (or why it can't be judged)."""
    a, b, gold = rows.get(ours), rows.get(base), rows.get("Gold")
    out = []
    for key, title, higher in TARGETS:
        x, y = (a or {}).get(key), (b or {}).get(key)
        if x is None or y is None:
            out.append(f"- {title}: not judged ({ours} or {base} has no value)")
            continue
        met = x > y if higher else x < y
        line = (
            f"- {title} ({'higher' if higher else 'lower'} is better): {ours} {x:.3f} vs {base} {y:.3f}: "
            f"{'met' if met else 'NOT met'}"
        )
        diff = paired((a or {}).get(f"{key}_draws"), (b or {}).get(f"{key}_draws"), higher)
        out.append(line + (f" ({diff})" if diff else ""))
    x, g = (a or {}).get("accuracy_mean"), (gold or {}).get("accuracy_mean")
    if x is None or not g:
        out.append(f"- student accuracy >= {GOLD_SHARE:.0%} of Gold: not judged")
    else:
        share = x / g
        out.append(
            f"- student accuracy >= {GOLD_SHARE:.0%} of Gold: {100 * x:.1f} / {100 * g:.1f} = {share:.1%}: "
            f"{'met' if share >= GOLD_SHARE else 'NOT met'}"
        )
    return out


def paired(xs: list[float] | None, ys: list[float] | None, higher: bool) -> str | None:
    """A paired comparison over draws: mean ± std of the per-draw difference and draws won."""
    if not xs or not ys or len(xs) != len(ys) or len(xs) < 2:
        return None
    diffs = [x - y for x, y in zip(xs, ys, strict=True)]
    won = sum(d > 0 if higher else d < 0 for d in diffs)
    return (
        f"paired difference {statistics.mean(diffs):+.3f} ± {statistics.stdev(diffs):.3f}, won {won}/{len(diffs)} draws"
    )


def aggregate(draws: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine one task's summaries over draws: mean per metric, ``_sd`` and ``_draws`` beside it."""
    if len(draws) == 1:
        return draws[0]
    names = list(dict.fromkeys(n for d in draws for n in d["rows"]))  # a row may be measured in some draws only
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        present = [d["rows"][name] for d in draws if name in d["rows"]]
        row: dict[str, Any] = {"draws": len(present)}
        for key in METRICS:
            values = [r.get(key) for r in present]
            nums = [float(v) for v in values if isinstance(v, int | float) and not math.isnan(v)]
            if nums and len(nums) == len(present):
                row[key] = statistics.mean(nums)
                row[f"{key}_sd"] = statistics.stdev(nums) if len(nums) > 1 else None
                row[f"{key}_draws"] = nums
        rows[name] = row
    info: dict[str, dict[str, Any]] = {}
    for d in draws:
        for name, i in d["info"].items():
            acc = info.setdefault(name, {})
            for key in ("gen_s", "requests", "cache_hits"):
                if key in i:
                    acc[key] = acc.get(key, 0) + i[key]
            if i.get("error"):
                acc["error"] = "; ".join(filter(None, [acc.get("error"), i["error"]]))
            if i.get("corpus") and i["corpus"] not in acc.setdefault("corpora", []):
                acc["corpora"].append(i["corpus"])
    return {
        **draws[0],
        "rows": rows,
        "info": info,
        "wall_s": sum(d["wall_s"] for d in draws),
        "draws": len(draws),
    }


def corpus_label(summary: dict[str, Any]) -> str:
    """``corpus: X`` when every retrieving row read X, else each such row's corpus (rows rerun on
    another corpus join a draw's record; see ``records``)."""
    per_row = {
        name: ", ".join(i.get("corpora") or [i["corpus"]])
        for name, i in summary.get("info", {}).items()
        if i.get("corpora") or i.get("corpus")
    }
    if len(set(per_row.values())) > 1:
        return "corpora: " + "; ".join(f"{name} {c}" for name, c in sorted(per_row.items()))
    return f"corpus: {next(iter(per_row.values()), summary.get('corpus'))}"


def cell(row: dict[str, Any], key: str) -> str:
    """A table cell: the value, or mean ± std over draws when the row aggregates several."""
    from synthrr.report.table import cell as _cell

    if not row:
        return "—"
    if key == "alt_accuracy":
        mean, sd = row.get("alt_accuracy_mean"), row.get("alt_accuracy_mean_sd")
        return "—" if mean is None else f"{100 * mean:.1f}" + ("" if sd is None else f" ± {100 * sd:.1f}")
    if "draws" not in row:
        return _cell(row, key)
    k = f"{key}_mean" if key in ("accuracy", "macro_f1") else key
    mean, sd = row.get(k), row.get(f"{k}_sd")
    if mean is None:
        return "—"
    if key == "n":
        return f"{mean:.0f}"
    pct = key in ("accuracy", "macro_f1", "label_preservation")
    scale, digits = (100, 1) if pct else (1, 3)
    shown = f"{scale * mean:.{digits}f}"
    # one draw has no spread; the row's label says how many draws it has (row_label)
    return shown if sd is None else f"{shown} ± {scale * sd:.{digits}f}"


def format_table(summary: dict[str, Any], row_names: tuple[str, ...], alt: str | None = None) -> str:
    """The task's table; ``alt`` names a second student whose accuracy gets a column of its own."""
    columns = list(COLUMNS)
    if alt:
        at = next(i for i, (k, _) in enumerate(columns) if k == "accuracy") + 1
        columns.insert(at, ("alt_accuracy", f"{alt} student acc. % ↑"))
    head = "| row | " + " | ".join(t for _, t in columns) + " | gen. s | LLM requests (cached) |"
    sep = "|---|" + "---:|" * (len(columns) + 2)
    lines = [head, sep]
    for name in row_names:
        if name != "Gold" and name not in summary["rows"] and name not in summary["info"]:
            continue
        row = summary["rows"].get(name, {})
        cells = [cell(row, k) for k, _ in columns]
        info = summary["info"].get(name, {})
        gen = info.get("gen_s")
        cells.append("—" if gen is None else f"{gen:.0f}")
        cells.append(f"{info['requests']} ({info['cache_hits']})" if "requests" in info else "—")
        lines.append(f"| {row_label(name, row, summary)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def row_label(name: str, row: dict[str, Any], summary: dict[str, Any]) -> str:
    """The row's name, with how many of the task's draws it was measured in when not all of them."""
    total = summary.get("draws", 1)
    have = row.get("draws", total)
    return f"{name} ({have} of {total} draws)" if have < total else name


def kept_analysis(path: Path) -> str | None:
    """The hand-written analysis block of an existing results file, markers included."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    i, j = text.find(ANALYSIS_BEGIN), text.find(ANALYSIS_END)
    return text[i : j + len(ANALYSIS_END)] if 0 <= i < j else None


def alt_student(args: Any) -> str | None:
    """The second student's name, whose accuracy gets its own column, if one was asked for."""
    return args.students[1] if len(args.students) > 1 else None


def write_results(args: Any, summaries: list[dict[str, Any]], row_names: tuple[str, ...]) -> str:
    """Write ``args.results`` (Markdown): the header, the kept analysis, one table and its targets per task."""
    from synthrr.run.manifest import versions

    model = next((s["model"] for s in summaries if s["model"]), None)
    analysis = kept_analysis(args.results)
    requests = sum(v.get("requests", 0) for s in summaries for v in s["info"].values())
    hits = sum(v.get("cache_hits", 0) for s in summaries for v in s["info"].values())
    commands = sorted({c for s in summaries for c in s["commands"]})
    draws = ", ".join(f"{s['task']} {s['draw_ids']}" for s in summaries)
    cfg = summaries[0]["config"]
    lines = [
        "# Quality benchmark: SynthesizRR vs FewGen vs ZeroGen vs Gold",
        "",
        "- Command(s), one per recorded batch of draws:",
        *(f"  - `{c}`" for c in commands),
        f"- Written: {datetime.now(UTC).isoformat(timespec='seconds')}, from the per-draw records in `{args.records}`",
        f"- Mode: {'quick (smoke run, numbers are not meaningful)' if args.quick else 'full'}",
        f"- Model: `{json.dumps(model, sort_keys=True)}`",
        f"- Versions: `{json.dumps(versions(), sort_keys=True)}`",
        f"- Draws (tables: mean ± std over draws when more than one): {draws}",
        f"- N per row: {args.n}; seeds per label: {args.per_label or 'task default'}; "
        f"retriever: {args.retriever}; max new tokens: {args.max_tokens}",
    ]
    samp = cfg.llm.sampling
    f = cfg.synthesis.filters
    lines += [
        f"- Sampling: temperature {samp.temperature}, top_p {samp.top_p}, seed moved by the draw; LLM options "
        f"`{json.dumps(cfg.llm.options, sort_keys=True)}`",
        f"- Filters (all rows): min_tokens {f.min_tokens}, dedup {f.dedup}, copy {f.copy_ngram}-gram "
        f"> {f.copy_threshold}, contamination {f.contamination}, label consistency {f.label_consistency} "
        f"(keep {f.keep_fraction}, features {f.consistency_features})",
        f"- Prompts: context_tokens {list(cfg.synthesis.context_tokens)}, demo_tokens {cfg.synthesis.demo_tokens}",
    ]
    lines += [
        f"- Student: {' (headline), '.join(args.students)}, {args.seeds} seed(s) per draw, scored on "
        f"{args.test_limit} real {args.eval_split} examples; "
        f"metrics: {', '.join(args.metrics) if args.metrics else 'all'}",
        f"- Wall time of the recorded draws: {sum(x['wall_s'] for x in summaries):.0f} s ({hits} of {requests} LLM "
        "requests answered from the cache)",
        "",
        "Rows: Gold = the student on N real train examples; "
        + (f"Gold-full = on the whole train split (at most {args.gold_full} examples); " if args.gold_full else "")
        + "FewGen-0/-32 = fewgen with 0/32 seed "
        "demonstrations; ZeroGen = zerogen; SynthesizRR-0/-3 = synthesizrr 0-shot / 3-shot RetrICL. "
        "`gen. s` = generation wall time of the row; `n` = kept examples.",
    ]
    if analysis:
        lines += ["", analysis]
    for s in summaries:
        lines += ["", f"## {s['task']} ({corpus_label(s)})", "", format_table(s, row_names, alt_student(args)), ""]
        lines.append(f"Wall time: {s['wall_s']:.0f} s. Runs and compare.md/.csv/.json: `{s['out']}`.")
        lines += ["", "Targets (SynthesizRR-3 vs FewGen-32):", *check_targets(s["rows"])]
        errors = {k: v["error"] for k, v in s["info"].items() if v.get("error")}
        for name, err in errors.items():
            lines.append(f"- {name}: {err}")
    text = "\n".join(lines) + "\n"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    return text
