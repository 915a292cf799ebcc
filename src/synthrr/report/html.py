"""``synthrr report``: one self-contained HTML file for one or several runs of a task: the comparison
table, cost and speed, label mix, lengths, diversity, the filter funnel, an embedding map, and an
example browser (filter by run, label, verdict, confidence; each example opens onto its passage,
seed, demonstrations and prompt). plotly's JavaScript is inlined once; nothing is fetched."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from synthrr.core.io import atomic_open, writable_file
from synthrr.core.log import step
from synthrr.core.text import clip
from synthrr.llm.stats import Stats
from synthrr.report import figures
from synthrr.report.data import ReportData, RunView, evaluate_missing, gather
from synthrr.report.table import COLUMNS, CompareRow, cell, table_row
from synthrr.run.provenance import render_prompt

PROMPT_CHARS = 4000  # of each prompt in the example browser
PAGE = 25  # examples per page of the browser

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.plot{margin:1.5em 0}
#browser .ex{border:1px solid #ddd;border-radius:6px;padding:.6em;margin:.5em 0}
#browser .meta{color:#666;font-size:90%}pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em}
.filters label{margin-right:1em}.todo{background:#fff6dd;border-left:4px solid #e0a800;padding:.3em .8em}
#browser .run{color:#555;font-size:90%;margin-right:.5em}
"""


def _script() -> str:
    return (files("synthrr.report") / "browser.js").read_text(encoding="utf-8")


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def comparison(data: ReportData, rows: Sequence[CompareRow] | None = None) -> str:
    """``synthrr compare``'s rows (Gold included) when given, else the runs' measures from their
    metrics.json (blank until ``synthrr evaluate`` ran)."""
    if rows:
        return _table([t for _, t in COLUMNS], [[cell(dict(r), k) for k, _ in COLUMNS] for r in rows])

    def fmt(v: Any, pct: bool = False) -> str:
        return "—" if v is None else (f"{100 * v:.1f}" if pct else f"{v:.3f}" if isinstance(v, float) else str(v))

    table: list[list[Any]] = []
    for r in data.runs:
        student = next(iter(r.metrics.students), None) if r.metrics is not None else None
        t = table_row(r.name, r.metrics, student or "")
        acc = f"{student}: {fmt(t['accuracy_mean'], True)}" if student else "—"
        table.append([r.name, r.method, r.manifest.counts.get("kept"), fmt(t["self_bleu_5"]),
                     fmt(t["distinct_2"]), fmt(t["entity_entropy"]), fmt(t["mauve"]),
                     fmt(t["label_preservation"], True), acc])  # fmt: skip
    headers = ["run", "method", "kept", "Self-BLEU-5 ↓", "distinct-2 ↑", "entity entropy ↑", "MAUVE ↑",
               "label pres. % ↑", "student acc. % ↑"]  # fmt: skip
    return _table(headers, table)


def cost(data: ReportData) -> str:
    """Each run's LLM use, answers replayed from the cache included at what they cost when generated."""
    rows = []
    for r in data.runs:
        raw, t = r.manifest.llm, r.manifest.timings_s
        s = Stats.from_dict(dict(raw))
        # a manifest written before cached answers were costed counts only its own engine calls
        floor = "≥ " if s.cache_hits and "cached_completion_tokens" not in raw else ""
        completion = s.completion_tokens + s.cached_completion_tokens
        speed = completion / s.run_seconds if s.run_seconds > 0 else 0.0
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in t.items() if isinstance(v, int | float))
        rows.append([r.name, s.requests, s.calls, s.cache_hits, f"{floor}{s.prompt_tokens + s.cached_prompt_tokens:,}",
                     f"{floor}{completion:,}", f"{floor}{s.run_seconds:,.0f}", f"{speed:.1f}", stages])  # fmt: skip
    headers = ["run", "LLM requests", "engine calls", "cache hits", "prompt tokens", "completion tokens",
               "engine seconds", "tokens/s", "wall time per stage (last generate)"]  # fmt: skip
    return _table(headers, rows) + (
        "<p>Tokens and engine seconds cover every answer a run kept or dropped: those its last "
        "<code>synthrr generate</code> asked the engine for plus those replayed from the LLM cache "
        "(a resumed or rerun generate), counted at what they cost when first generated. Engine calls "
        "and cache hits are the last generate's; ≥: the run's manifest predates this accounting.</p>"
    )


def unevaluated(data: ReportData) -> list[RunView]:
    """The runs with no ``metrics.json``: their measures and diversity panels are empty."""
    return [r for r in data.runs if r.metrics is None]


def evaluate_hint(data: ReportData) -> str:
    """The page's first notice when some runs were never evaluated: the commands that fill it in."""
    todo = unevaluated(data)
    if not todo:
        return ""
    cmds = "".join(f"<pre>synthrr evaluate {_esc(r.run_dir)}</pre>" for r in todo)
    return (
        f'<div class="todo" id="needs-evaluate"><p><b>{len(todo)} of {len(data.runs)} run(s) not evaluated '
        "yet</b>: their measures in the comparison table and the diversity and entity panels stay empty "
        f"until you run</p>{cmds}<p>and write this report again, or write it with <code>synthrr report "
        "--evaluate</code>, which evaluates them first with the default students.</p></div>"
    )


def panel_hint(data: ReportData) -> str:
    """One line in a panel that needs metrics, naming the runs it lacks."""
    todo = unevaluated(data)
    if not todo:
        return ""
    names = ", ".join(r.name for r in todo)
    return f'<p class="todo">Empty for {_esc(names)}: needs <code>synthrr evaluate</code> (see the top).</p>'


def examples_json(data: ReportData) -> str:
    """The example browser's data as JSON that is safe inside a <script> element: rows refer to
    prompts, seeds and passages by id (each stored once: prompts are shared by a block's rows)."""

    def text(v: Any, n: int | None = None) -> str | None:
        if v is None or (isinstance(v, float) and v != v):
            return None
        return clip(str(v), n)

    rows: list[dict[str, Any]] = []
    prompts: dict[str, str | None] = {}
    texts: dict[str, str | None] = {}
    for r in data.runs:
        for _, x in r.rows.iterrows():
            conf = x.get("confidence")
            demo_ids = [] if x.get("demo_ids") is None else [str(i) for i in x["demo_ids"]]
            for i, t in zip(demo_ids, [] if x.get("demo_texts") is None else list(x["demo_texts"]), strict=False):
                texts.setdefault(f"s:{i}", text(t))
            seed, passage = str(x.get("seed_id") or ""), str(x.get("passage_id") or "")
            if seed:
                texts.setdefault(f"s:{seed}", text(x.get("seed_text")))
            if passage:
                texts.setdefault(f"p:{passage}", text(x.get("passage_text")))
            prompts.setdefault(x["prompt_hash"], text(_prompt(x.get("prompt")), PROMPT_CHARS))
            rows.append({
                "run": r.name, "label": x["label"], "verdict": x["verdict"], "text": x["text"],
                "confidence": None if conf is None or conf != conf else round(float(conf), 3),
                "seed": f"s:{seed}" if seed else None, "passage": f"p:{passage}" if passage else None,
                "demos": [f"s:{i}" for i in demo_ids], "prompt": x["prompt_hash"],
            })  # fmt: skip
    payload = {"rows": rows, "prompts": prompts, "texts": texts}
    return json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")


def _prompt(stored: Any) -> str | None:
    return None if not isinstance(stored, str) else render_prompt(stored, None)


def markdown_html(text: str) -> str:
    """A Markdown summary (pipe tables, ``- `` bullets, other lines as paragraphs) as HTML, escaped:
    enough for the tables and target lists ``bench/quality.py`` writes."""
    out: list[str] = []
    table: list[list[str]] = []
    items: list[str] = []

    def flush() -> None:
        if table:
            head, body = table[0], [r for r in table[1:] if not all(set(c) <= set("-: ") for c in r)]
            out.append(_table(head, body))
            table.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if line.startswith("- "):
            items.append(line[2:])
            continue
        flush()
        if line.strip():
            out.append(f"<p>{_esc(line)}</p>")
    flush()
    return "".join(out)


def _select(fid: str, label: str, values: Sequence[str]) -> str:
    opts = '<option value="">all</option>' + "".join(f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in values)
    return f'<label>{_esc(label)} <select id="{fid}">{opts}</select></label>'


def browser(data: ReportData) -> str:
    verdicts = sorted({v for r in data.runs for v in r.rows["verdict"]})
    filters = (
        _select("f-run", "run", [r.name for r in data.runs]) + _select("f-label", "label", data.labels)
        + _select("f-verdict", "verdict", verdicts)
        + '<label>min confidence <input id="f-conf" type="number" min="0" max="1" step="0.05" value="0"></label>'
    )  # fmt: skip
    return (
        f'<div id="browser" data-page="{PAGE}"><div class="filters">{filters}</div>'
        '<p><button id="prev">previous</button> <span id="count"></span> <button id="next">next</button></p>'
        '<div id="examples-list"></div></div>'
        f'<script type="application/json" id="examples">{examples_json(data)}</script>'
    )


def render_report(
    data: ReportData,
    *,
    embedding_map: bool = True,
    compare_rows: Sequence[CompareRow] | None = None,
    summary: str | None = None,
    say: Callable[[str], None] | None = None,
) -> str:
    """The whole page as one string; ``compare_rows`` (from ``synthrr compare``) give the table its Gold
    rows; ``summary`` (Markdown, e.g. bench/quality.py's mean ± std over draws and its targets) goes first;
    ``say`` hears one line per step (progress)."""
    say = say or (lambda _: None)
    say("drawing figures: label mix, lengths, diversity, entities, funnel")
    needs_metrics = {"diversity", "entities"}
    figs = [("label-mix", figures.label_mix(data)), ("lengths", figures.lengths(data)),
            ("diversity", figures.diversity(data)), ("entities", figures.entities(data)),
            ("funnel", figures.funnel(data))]  # fmt: skip
    if embedding_map:
        say("embedding map: encoding the kept and real texts with MiniLM")
        figs.append(("map", figures.embedding_map(data)))
    say("writing the page")
    hint = panel_hint(data)
    plots = "".join(
        (hint if name in needs_metrics else "")
        + f'<div class="plot" id="plot-{name}">'
        + fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False, div_id=f"fig-{name}")
        + "</div>"
        for i, (name, fig) in enumerate(figs)
    )
    notes = "".join(f"<li>{_esc(n)}</li>" for n in data.notes)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    table_hint = "" if compare_rows else hint
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>synthrr report: {_esc(data.task)}</title>"
        f"<style>{STYLE}</style></head><body><h1>synthrr report: {_esc(data.task)}</h1>"
        f"<p>{len(data.runs)} run(s), real texts from the {_esc(data.real_split)} split; written {when}</p>"
        f"{evaluate_hint(data)}<ul>{notes}</ul>"
        f"{'' if not summary else '<h2>Across draws</h2>' + markdown_html(summary)}"
        f"<h2>Comparison</h2>{table_hint}{comparison(data, compare_rows)}<h2>Cost and speed</h2>{cost(data)}"
        f"<h2>Figures</h2>{plots}<h2>Examples</h2>{browser(data)}<script>{_script()}</script></body></html>"
    )


def report_step(line: str) -> None:
    """One step of the report as a ``report: ...`` step line (shown while progress is on)."""
    step(f"report: {line}")


def write_report(
    run_dirs: Sequence[str | Path],
    out: str | Path,
    *,
    max_rows: int = 2000,
    embedding_map: bool = True,
    compare_rows: Sequence[CompareRow] | None = None,
    summary: str | None = None,
    evaluate: bool = False,
) -> Path:
    """Gather the runs (evaluating those without metrics first when ``evaluate``), render the page
    and write it atomically to ``out``; one step line per step (:func:`report_step`)."""
    target = writable_file(out, "--out")
    if evaluate:
        evaluate_missing(run_dirs, say=report_step)
    data = gather(run_dirs, max_rows=max_rows, say=report_step)
    page = render_report(data, embedding_map=embedding_map, compare_rows=compare_rows, summary=summary, say=report_step)
    with atomic_open(target) as fh:
        fh.write(page)
    return target
