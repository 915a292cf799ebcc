"""The pure parts of ``bench/quality.py`` and its protocol: targets, draws, paired comparisons, the
kept analysis block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import paired, protocol, quality, records, verifier
from bench.protocol import corpus_label
from bench.quality_options import build_parser, corpus_rows, resolve, task_key
from synthrr.config import RunConfig

ROOT = Path(__file__).resolve().parents[2]


def _row(bleu: float, ent: float, mauve: float, acc: float) -> dict[str, float]:
    return {"self_bleu_5": bleu, "entity_entropy": ent, "mauve": mauve, "accuracy_mean": acc}


def test_targets_met_and_not_met() -> None:
    rows = {
        "Gold": _row(0.05, 9.0, 1.0, 0.70),
        "SynthesizRR-3": _row(0.08, 7.0, 0.90, 0.60),  # 0.60 / 0.70 = 85.7 % of Gold
        "FewGen-32": _row(0.10, 7.5, 0.80, 0.61),
    }
    lines = protocol.check_targets(rows)
    assert len(lines) == 5
    verdicts = [line.rsplit(": ", 1)[1] for line in lines]
    assert verdicts == ["met", "NOT met", "met", "NOT met", "met"]
    rows["SynthesizRR-3"]["accuracy_mean"] = 0.59  # 84.3 %
    assert protocol.check_targets(rows)[-1].endswith("NOT met")


def test_missing_rows_are_not_judged() -> None:
    lines = protocol.check_targets({"SynthesizRR-3": _row(0.1, 1, 1, 0.5)})
    assert all("not judged" in line for line in lines)


def test_kept_analysis(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    assert protocol.kept_analysis(path) is None
    block = f"{protocol.ANALYSIS_BEGIN}\nwhy\n{protocol.ANALYSIS_END}"
    path.write_text(f"# t\n\n{block}\n\ntail\n", encoding="utf-8")
    assert protocol.kept_analysis(path) == block
    path.write_text(f"# t\n{protocol.ANALYSIS_END} {protocol.ANALYSIS_BEGIN}\n", encoding="utf-8")
    assert protocol.kept_analysis(path) is None


def _summary(rows: dict[str, dict[str, float]], wall: float = 1.0) -> dict:
    return {
        "task": "t",
        "rows": rows,
        "info": {k: {"gen_s": 2.0, "requests": 3, "cache_hits": 1} for k in rows},
        "wall_s": wall,
        "model": None,
        "config": None,
    }


def test_draws_aggregate_to_mean_and_std_with_a_paired_comparison() -> None:
    draws = [
        _summary({"SynthesizRR-3": _row(0.04, 7.0, 0.9, 0.60), "FewGen-32": _row(0.05, 6.0, 0.8, 0.55)}),
        _summary({"SynthesizRR-3": _row(0.06, 7.2, 0.9, 0.62), "FewGen-32": _row(0.05, 6.5, 0.7, 0.63)}),
        _summary({"SynthesizRR-3": _row(0.05, 7.1, 0.9, 0.64), "FewGen-32": _row(0.05, 6.1, 0.9, 0.54)}),
    ]
    agg = protocol.aggregate(draws)
    row = agg["rows"]["SynthesizRR-3"]
    assert row["self_bleu_5"] == pytest.approx(0.05) and row["self_bleu_5_sd"] == pytest.approx(0.01)
    assert row["accuracy_mean_draws"] == [0.60, 0.62, 0.64] and row["draws"] == 3
    assert agg["info"]["FewGen-32"] == {"gen_s": 6.0, "requests": 9, "cache_hits": 3} and agg["wall_s"] == 3.0
    assert protocol.cell(row, "accuracy") == "62.0 ± 2.0" and protocol.cell(row, "mauve") == "0.900 ± 0.000"
    lines = protocol.check_targets(agg["rows"])
    assert "won 2/3 draws" in lines[3] and "paired difference +0.047" in lines[3]  # accuracy
    assert "won 3/3 draws" in lines[1]  # entity entropy
    assert protocol.aggregate(draws[:1]) is draws[0]  # one draw: unchanged


def test_paired_script_compares_two_settings(tmp_path: Path) -> None:
    a = {"imdb": [{"Gold": {}, "S": {"self_bleu_5": v, "accuracy_mean": 0.5}} for v in (0.04, 0.06, 0.05)]}
    b = {"imdb": [{"Gold": {}, "S": {"self_bleu_5": v, "accuracy_mean": 0.9}} for v in (0.05, 0.05, 0.06)]}
    lines = paired.compare(a, b, ["old", "new"])
    body = [line for line in lines if line.startswith("| imdb")]
    assert len(body) == 2 and body[0].endswith("| yes |")  # Self-BLEU within noise
    assert body[1].endswith("| NO |")  # accuracy: +40 points with no spread
    assert lines[-1] == "1 of 2 comparisons within the draw-to-draw noise."
    assert lines[-2] == "Draws paired by number: imdb 0, 1, 2."


def test_paired_script_pairs_draws_by_number_not_position() -> None:
    def rows(acc: float) -> dict[str, dict[str, float]]:
        return {"Gold": {}, "S": {"accuracy_mean": acc}}

    # A recorded draws 0, 1, 2; B only 1 and 2: pairing by position would set B's draw 1 against A's 0
    a = {"rt": {"draw_ids": [0, 1, 2], "rows": [rows(0.1), rows(0.5), rows(0.6)]}}
    b = {"rt": {"draw_ids": [1, 2], "rows": [rows(0.5), rows(0.6)]}}
    lines = paired.compare(a, b, ["a", "b"])
    (body,) = [line for line in lines if line.startswith("| rt")]
    assert "| 0.000 ± 0.000 | yes |" in body  # the same draws give no difference
    assert lines[-2] == "Draws paired by number: rt 1, 2."


def test_custom_task_files_run_on_wiki_keyed_by_their_stem() -> None:
    task = str(ROOT / "tests" / "data" / "tasks" / "newsgroups8.yaml")
    args = resolve(build_parser().parse_args(["--tasks", "imdb", task, "--corpus", "imdb=wiki"]))
    assert args.corpora == {"imdb": "wiki", "newsgroups8": "wiki"}
    assert task_key(task) == "newsgroups8" and task_key("bbc_news") == "bbc_news"
    with pytest.raises(SystemExit):
        resolve(build_parser().parse_args(["--tasks", "no_such_task"]))


def test_verifier_precision_table() -> None:
    table = verifier.precision_table(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b", "c"])
    assert table["a"] == {"precision": 1.0, "recall": 0.5, "share": 0.5}
    assert table["b"]["precision"] == pytest.approx(2 / 3) and table["b"]["recall"] == 1.0
    assert table["c"]["precision"] != table["c"]["precision"]  # never predicted: NaN, shown as "—"


def _draw_summary(task: str, acc: float, config: object) -> dict[str, object]:
    rows = {"Gold": {"n": 100, "accuracy_mean": 0.8}, "FewGen-32": _row(0.06, 6.0, 0.9, acc - 0.02)}
    rows["SynthesizRR-3"] = {**_row(0.05, 6.5, 0.95, acc), "alt_accuracy_mean": acc - 0.1}
    info = {"SynthesizRR-3": {"gen_s": 10.0, "requests": 5, "cache_hits": 1}}
    return {"task": task, "corpus": "wiki", "rows": rows, "info": info, "model": None, "config": config,
            "wall_s": 12.0, "out": "runs/x"}  # fmt: skip


def test_draws_recorded_one_at_a_time_make_one_table(tmp_path: Path) -> None:
    """Draws run by separate invocations are recorded and combined; a draw of another protocol is left out."""

    base = ["--tasks", "imdb", "--n", "100", "--student", "minilm", "tfidf", "--results", str(tmp_path / "r.md")]
    args = resolve(build_parser().parse_args(base))
    assert args.students == ["minilm", "tfidf"] and args.records == tmp_path / "r.records"
    proto = records.protocol(args, "movie_plots")
    cfg = RunConfig()
    for draw, acc in ((0, 0.70), (2, 0.74)):
        records.save(args.records, _draw_summary("imdb", acc, cfg), draw, proto, [*base, "--first-draw", str(draw)])
    other = records.protocol(resolve(build_parser().parse_args([*base, "--n", "40"])), "movie_plots")
    records.save(args.records, _draw_summary("imdb", 0.1, cfg), 1, other, base)

    draws, skipped = records.load(args.records, "imdb", proto)
    assert [d["draw"] for d in draws] == [0, 2] and draws[0]["config"] == cfg
    assert len(skipped) == 1 and "draw-1.json" in skipped[0] and "n differ" in skipped[0]

    assert quality.main([*base, "--report-only", "--quiet"]) == 0
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "Draws (tables: mean ± std over draws when more than one): imdb [0, 2]" in text
    assert "tfidf student acc. % ↑" in text and "--first-draw 2" in text
    row = next(line for line in text.splitlines() if line.startswith("| SynthesizRR-3 |"))
    assert "72.0 ± 2.8" in row and "62.0 ± 2.8" in row  # headline and second student over draws 0 and 2
    assert "student accuracy (higher is better): SynthesizRR-3 0.720 vs FewGen-32 0.700: met" in text


def test_other_rows_run_later_join_the_draws_record(tmp_path: Path) -> None:
    """Rows are not part of the protocol: a later invocation with other rows adds them to the draw's
    record (and a row run again replaces its result); a record from before (rows in its protocol) still loads."""

    base = ["--tasks", "imdb", "--n", "100", "--results", str(tmp_path / "r.md")]
    first = resolve(build_parser().parse_args([*base, "--rows", "FewGen-32", "SynthesizRR-3"]))
    later = resolve(build_parser().parse_args([*base, "--rows", "SuperGen", "SynthesizRR-3"]))
    proto = records.protocol(first, "movie_plots")
    assert proto == records.protocol(later, "movie_plots") and "rows" not in proto
    cfg = RunConfig()
    target = records.save(first.records, _draw_summary("imdb", 0.70, cfg), 0, proto, ["first"])
    old = json.loads(target.read_text())
    old["protocol"]["rows"] = ["FewGen-32", "SynthesizRR-3"]  # as written before rows left the protocol
    target.write_text(json.dumps(old))
    summary = _draw_summary("imdb", 0.75, cfg)
    summary["rows"] = {"Gold": summary["rows"]["Gold"], "SuperGen": _row(0.07, 6.1, 0.8, 0.66)}
    summary["rows"]["SynthesizRR-3"] = _row(0.05, 6.5, 0.95, 0.77)
    records.save(later.records, summary, 0, proto, ["later"])
    (draw,), skipped = records.load(first.records, "imdb", proto)
    assert not skipped and set(draw["rows"]) == {"Gold", "FewGen-32", "SynthesizRR-3", "SuperGen"}
    assert draw["rows"]["SynthesizRR-3"]["accuracy_mean"] == 0.77  # run again: replaced
    assert draw["rows"]["FewGen-32"]["accuracy_mean"] == pytest.approx(0.68)  # not run again: kept
    assert draw["argvs"] == [["first"], ["later"]] and draw["wall_s"] == 24.0


def test_a_later_row_that_kept_fewer_than_n_leaves_gold_at_n(tmp_path: Path) -> None:
    """Gold is measured at the kept N of the rows run with it: a later row that kept 93 of 100 brings
    Gold at 93, which must not replace the record's Gold at 100 (nor does a Gold further from N)."""

    args = resolve(build_parser().parse_args(["--tasks", "imdb", "--n", "100", "--results", str(tmp_path / "r.md")]))
    proto = records.protocol(args, "movie_plots")
    records.save(args.records, _draw_summary("imdb", 0.70, RunConfig()), 0, proto, ["first"])
    later = {
        **_draw_summary("imdb", 0.70, RunConfig()),
        "rows": {"Gold": {"n": 93, "accuracy_mean": 0.6}, "ReGen": _row(0.04, 8.5, 0.8, 0.6)},
    }
    records.save(args.records, later, 0, proto, ["later"])
    (draw,), _ = records.load(args.records, "imdb", proto)
    assert draw["rows"]["Gold"] == {"n": 100, "accuracy_mean": 0.8} and "ReGen" in draw["rows"]
    again = {**later, "rows": {"Gold": {"n": 100, "accuracy_mean": 0.81}}}  # Gold at N measured again: replaces
    records.save(args.records, again, 0, proto, ["again"])
    (draw,), _ = records.load(args.records, "imdb", proto)
    assert draw["rows"]["Gold"]["accuracy_mean"] == 0.81


def test_report_only_without_records_is_a_usage_error(tmp_path: Path) -> None:
    assert quality.main(["--tasks", "imdb", "--report-only", "--quiet", "--results", str(tmp_path / "r.md")]) == 2


def test_a_row_measured_in_one_draw_only_keeps_its_value() -> None:
    """--gold-full-once: Gold-full is in draw 0's rows only; the table shows its value, and its row's
    label (not each cell) says it is one draw of two."""
    base = {"Gold": {"n": 100, "accuracy_mean": 0.7}, "S": _row(0.05, 6.0, 0.9, 0.6)}
    first = {"task": "t", "rows": {**base, "Gold-full": {"n": 2000, "accuracy_mean": 0.836}}, "info": {}, "wall_s": 1.0}
    second = {"task": "t", "rows": dict(base), "info": {}, "wall_s": 1.0}
    agg = protocol.aggregate([first, second])
    assert agg["rows"]["Gold-full"]["draws"] == 1 and agg["rows"]["Gold"]["draws"] == 2
    assert protocol.cell(agg["rows"]["Gold-full"], "accuracy") == "83.6"
    assert protocol.cell(agg["rows"]["Gold"], "accuracy") == "70.0 ± 0.0"
    table = protocol.format_table(agg, ("Gold", "Gold-full", "S"))
    assert "| Gold-full (1 of 2 draws) |" in table and "| Gold |" in table and "| S |" in table
    assert "draw)" not in table  # marked once, on the row


def test_a_retrieving_row_rerun_on_another_corpus_joins_the_record(tmp_path: Path) -> None:
    """The corpus is kept per retrieving row, not in the protocol: SynthesizRR-3 rerun on another
    corpus replaces its row beside FewGen-32 (which reads no corpus) and ReGen (which keeps its own)."""

    assert {"SynthesizRR-3", "SynthesizRR-0", "ReGen"} <= corpus_rows()
    assert "FewGen-32" not in corpus_rows() and "SuperGen" not in corpus_rows()
    base = ["--tasks", "bbc_news", "--n", "100", "--results", str(tmp_path / "r.md")]
    args = resolve(build_parser().parse_args(base))
    first = _draw_summary("bbc_news", 0.70, RunConfig())
    first["info"]["ReGen"] = {"gen_s": 1.0}  # an older record: no corpus per row
    first["rows"]["ReGen"] = _row(0.04, 7.0, 0.6, 0.6)
    records.save(args.records, first, 0, records.protocol(args, "wiki"), ["first"], corpus_rows())
    later = _draw_summary("bbc_news", 0.75, RunConfig())
    later["rows"] = {"SynthesizRR-3": later["rows"]["SynthesizRR-3"]}
    later["info"]["SynthesizRR-3"]["corpus"] = "abc_news+wiki"
    proto = records.protocol(args, "abc_news+wiki")
    records.save(args.records, later, 0, proto, ["later"], corpus_rows())
    (draw,), skipped = records.load(args.records, "bbc_news", proto, corpus_rows())
    assert not skipped and draw["rows"]["SynthesizRR-3"]["accuracy_mean"] == 0.75
    assert draw["rows"]["FewGen-32"]["accuracy_mean"] == pytest.approx(0.68)
    assert draw["info"]["SynthesizRR-3"]["corpus"] == "abc_news+wiki" and draw["info"]["ReGen"]["corpus"] == "wiki"
    assert corpus_label(draw) == "corpora: ReGen wiki; SynthesizRR-3 abc_news+wiki"
    assert corpus_label({"info": {"SynthesizRR-3": {"corpus": "wiki"}}, "corpus": "wiki"}) == "corpus: wiki"
