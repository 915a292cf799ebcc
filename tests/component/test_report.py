"""synthrr report: one self-contained HTML page for runs of a task (fake LLM runs here): no network
references, every figure present, the example browser's data complete and resolvable, a clear error
for runs of different tasks. (The page is opened in a real browser in the e2e tier.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli

pytest.importorskip("plotly")
TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


def _run(tmp_path: Path, method: str, *extra: str) -> Path:
    out = tmp_path / f"runs{len(extra)}"
    args = ["generate", "--task", TASK, "--method", method, "--llm", "fake", "--per-label", "5", "--n", "6"]
    args += ["--out", str(out), "--no-progress", "--set", "synthesis.filters.label_consistency=none", *extra]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return next(p for p in out.iterdir() if p.name.startswith(f"support_tickets-{method}"))


def _payload(page: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="examples">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_report_is_self_contained_with_every_part(tmp_path: Path) -> None:
    few = _run(tmp_path, "fewgen")
    zero = _run(tmp_path, "fewgen", "--shots", "1")
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", str(few), str(zero), "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched: plotly.js is inline
    for part in (
        "fig-label-mix",
        "fig-lengths",
        "fig-diversity",
        "fig-entities",
        "fig-funnel",
        "fig-map",
        "f-verdict",
        "examples-list",
    ):
        assert part in page, part
    data = _payload(page)
    rows = data["rows"]
    assert isinstance(rows, list) and {r["run"] for r in rows} == {few.name, zero.name}
    assert all(r["prompt"] in data["prompts"] for r in rows)  # type: ignore[operator]
    assert all(data["prompts"][r["prompt"]] for r in rows)  # type: ignore[index]  # the prompts were stored
    few_rows = [r for r in rows if r["run"] == few.name]
    texts = data["texts"]
    assert all(r["demos"] and all(d in texts for d in r["demos"]) for r in few_rows)  # type: ignore[operator]
    assert all(r["seed"] is None or r["seed"] in texts for r in rows)  # type: ignore[operator]


def test_report_refuses_runs_of_two_tasks(tmp_path: Path) -> None:
    few = _run(tmp_path, "fewgen")
    other = tmp_path / "other"
    res = CliRunner().invoke(cli, ["generate", "--task", "imdb", "--method", "zerogen", "--llm", "fake", "--n", "2",
                                   "--per-label", "2", "--out", str(other), "--no-progress",
                                   "--set", "synthesis.filters.label_consistency=none"])  # fmt: skip
    assert res.exit_code == 0, res.output
    bad = CliRunner().invoke(cli, ["report", str(few), str(next(other.iterdir())), "--out", str(tmp_path / "r.html"),
                                   "--no-map"])  # fmt: skip
    assert bad.exit_code == 2 and "one task" in bad.output and not (tmp_path / "r.html").exists()


def test_compare_writes_the_report_beside_its_table(tmp_path: Path) -> None:
    few = _run(tmp_path, "fewgen")
    res = CliRunner().invoke(cli, ["compare", str(few), "--no-gold", "--no-evaluate", "--report", "--out",
                                   str(tmp_path / "cmp")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "compare.md").is_file() and (tmp_path / "cmp" / "report.html").is_file()
    assert "<th>macro-F1 % ↑</th>" in (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")  # compare's table
    assert "report: " in res.output


def test_a_summary_over_draws_goes_first(tmp_path: Path) -> None:
    """bench/quality.py's mean ± std table and targets (Markdown) become the report's first section."""
    from synthrr.report.html import markdown_html, write_report

    summary = "| row | MAUVE ↑ |\n|---|---:|\n| SynthesizRR-3 | 0.99 ± 0.01 |\n\nTargets:\n- MAUVE: met <b>"
    html = markdown_html(summary)
    assert "<th>MAUVE ↑</th>" in html and "<td>0.99 ± 0.01</td>" in html and "---" not in html
    assert "<li>MAUVE: met &lt;b&gt;</li>" in html and "<p>Targets:</p>" in html  # escaped
    page = write_report([_run(tmp_path, "fewgen")], tmp_path / "r.html", embedding_map=False, summary=summary)
    text = page.read_text(encoding="utf-8")
    assert text.index("<h2>Across draws</h2>") < text.index("<h2>Comparison</h2>")


def test_a_report_before_evaluate_says_what_to_run(tmp_path: Path) -> None:
    """Runs without metrics.json: the page opens on the `synthrr evaluate RUN` to run, each panel
    that needs metrics says so, and the notices go once the run is evaluated."""
    from synthrr.report.html import write_report

    few = _run(tmp_path, "fewgen")
    text = write_report([few], tmp_path / "r.html", embedding_map=False).read_text(encoding="utf-8")
    assert text.index('id="needs-evaluate"') < text.index("<h2>Comparison</h2>")
    assert f"<pre>synthrr evaluate {few}</pre>" in text and "synthrr report --evaluate" in text
    assert text.count(f"Empty for {few.name}: needs <code>synthrr evaluate</code>") == 3  # table, diversity, entities
    (few / "metrics.json").write_text(json.dumps({"metrics": {"distinct": {"distinct_2": 0.5}}}), encoding="utf-8")
    again = write_report([few], tmp_path / "r.html", embedding_map=False).read_text(encoding="utf-8")
    assert "needs-evaluate" not in again and "Empty for" not in again


def test_report_evaluate_runs_evaluate_first_on_runs_without_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synthrr.report.data as report_data

    few, other = _run(tmp_path, "fewgen"), _run(tmp_path, "fewgen", "--shots", "1")
    (other / "metrics.json").write_text(json.dumps({"metrics": {}, "students": {}, "n": 1}), encoding="utf-8")
    seen: list[Path] = []

    def fake_evaluate(run_dir: Path, cfg: object = None) -> None:
        seen.append(Path(run_dir))
        (Path(run_dir) / "metrics.json").write_text(json.dumps({"metrics": {}, "n": 6}), encoding="utf-8")

    monkeypatch.setattr(report_data, "evaluate_run", fake_evaluate)
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["report", str(few), str(other), "--out", str(out), "--no-map", "--evaluate"])
    assert res.exit_code == 0, res.output
    assert seen == [few]  # the evaluated run is left alone
    assert "report: evaluating" in res.output and "report: reading run 2/2" in res.output  # progress lines
    assert "needs-evaluate" not in out.read_text(encoding="utf-8")


def test_the_cost_table_covers_answers_replayed_from_the_cache(tmp_path: Path) -> None:
    """A rerun makes no engine call; the table still shows the tokens its answers took."""
    from synthrr.report.html import write_report

    few = _run(tmp_path, "fewgen")
    first = json.loads((few / "manifest.json").read_text(encoding="utf-8"))["llm"]
    assert _run(tmp_path, "fewgen") == few
    rerun = json.loads((few / "manifest.json").read_text(encoding="utf-8"))["llm"]
    assert rerun["calls"] == 0 and rerun["cache_hits"] > 0

    def completion(llm: dict[str, int]) -> int:
        return llm["completion_tokens"] + llm["cached_completion_tokens"]

    assert completion(rerun) == completion(first) > 0
    text = write_report([few], tmp_path / "r.html", embedding_map=False).read_text(encoding="utf-8")
    row = re.search(rf"<tr><td>{re.escape(few.name)}</td>(.*?)</tr>", text.split("<h2>Cost and speed</h2>")[1])
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[1] == "0" and cells[4] == f"{completion(first):,}"  # engine calls, completion tokens


def test_browser_rows_show_their_run() -> None:
    from synthrr.report.html import _script

    assert "el('span',{className:'run'},x.run)" in _script()
