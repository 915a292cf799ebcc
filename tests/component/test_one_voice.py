"""One voice: "did you mean" for names and config keys, one name for the text column (old names
accepted with a warning), errors that spell the fix, warnings as one line through logging, and
progress switched off everywhere by one switch (``--quiet`` / ``progress=False``)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.cli.options import quiet_option
from synthrr.config import RunConfig
from synthrr.core.errors import ConfigError, InputError, UsageError

BODY = (
    "a perfectly ordinary sentence with more than enough words to pass the default minimum of twenty tokens "
    "that the corpus reader applies to every passage it keeps"
)


def _registry(module: str, name: str) -> Callable[[str], Any]:
    import importlib

    return getattr(importlib.import_module(module), name).get  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("lookup", "typo", "meant"),
    [
        (_registry("synthrr.tasks", "TASKS"), "imbd", "imdb"),
        (_registry("synthrr.synth.methods", "METHODS"), "synthesizr", "synthesizrr"),
        (_registry("synthrr.retrieval.indexes", "RETRIEVERS"), "bm52", "bm25"),
        (_registry("synthrr.llm", "BACKENDS"), "lamacpp", "llamacpp"),
        (_registry("synthrr.students.base", "STUDENTS"), "tfid", "tfidf"),
    ],
)
def test_an_unknown_name_suggests_the_close_one(lookup: Callable[[str], Any], typo: str, meant: str) -> None:
    with pytest.raises(UsageError, match=rf"unknown [\w ]+ '{typo}' \(did you mean '{meant}'\?\); known [\w ]+: "):
        lookup(typo)


def test_unknown_metric_and_corpus_suggest_too() -> None:
    from synthrr.corpus import get_corpus
    from synthrr.metrics import compute_metrics

    with pytest.raises(UsageError, match=r"did you mean 'distinct'\?"):
        compute_metrics(None, ["distinc"])  # type: ignore[arg-type]  # the names are checked first
    with pytest.raises(UsageError, match=r"unknown corpus 'movie_plot' \(did you mean 'movie_plots'\?\)"):
        get_corpus("movie_plot")


def test_a_name_with_nothing_close_lists_the_known_ones_only() -> None:
    from synthrr.tasks import get_task

    with pytest.raises(UsageError) as info:
        get_task("zzzz")
    assert "did you mean" not in str(info.value) and "known tasks: " in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "field", "meant"),
    [
        ({"retrieval.topk": 5}, "retrieval.topk", "retrieval.k"),
        ({"synthesis.shot": 2}, "synthesis.shot", "synthesis.shots"),
        ({"llm.sampling.temprature": 0.5}, "llm.sampling.temprature", "llm.sampling.temperature"),
        ({"tsk": "imdb"}, "tsk", "task"),
        ({"retrival.k": 5}, "retrival.k", "retrieval"),
    ],
)
def test_an_unknown_config_key_suggests_the_close_one(overrides: dict[str, Any], field: str, meant: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig().with_overrides(overrides)
    assert info.value.field == field
    assert f"did you mean '{meant}'" in str(info.value)
    assert "command line" not in str(info.value)  # a Python call is not the command line


def test_a_yaml_key_typo_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("retrieval:\n  topk: 5\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: config field 'retrieval\.topk': .*did you mean 'retrieval\.k'"):
        RunConfig.from_yaml(path)


def test_a_backend_option_typo_suggests_the_option() -> None:
    from synthrr.llm import BACKENDS
    from synthrr.llm.base import LLMBackend

    backend: type[LLMBackend] = BACKENDS.get("fake")
    options = backend.Options.model_fields
    name = next(iter(options))
    from synthrr.core.errors import parse_options

    with pytest.raises(ConfigError, match=rf"did you mean 'llm\.options\.{name}'"):
        parse_options(backend.Options, {name + "x": 1}, prefix="llm.options.", owner="backend 'fake'")


def test_the_cli_names_set_as_the_source_and_flags_by_field() -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["seeds", "--set", "retrieval.topk=5"])
    assert res.exit_code == 2
    assert "error: --set: config field 'retrieval.topk': unknown key (did you mean 'retrieval.k'?)" in res.output
    res = runner.invoke(cli, ["seeds", "--per-label", "0"])
    assert res.exit_code == 2 and "error: config field 'seeds.per_label'" in res.output
    assert "command line" not in res.output and "Traceback" not in res.output


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "docs.csv"
    path.write_text("id,body,stars\n" + "".join(f"{i},{BODY} {i},5\n" for i in range(3)))
    return path


def test_text_column_flag_and_the_old_spellings_with_one_warning_line(tmp_path: Path) -> None:
    runner = CliRunner()
    corpus = str(_corpus(tmp_path))
    new = runner.invoke(cli, ["corpora", "--corpus", corpus, "--text-column", "body", "--json", "-q"])
    assert new.exit_code == 0 and new.stderr == "", new.output
    old = runner.invoke(cli, ["corpora", "--corpus", corpus, "--text-field", "body", "--json", "-q"])
    assert old.exit_code == 0 and json.loads(old.stdout)["path"] == json.loads(new.stdout)["path"]  # the same corpus
    assert old.stderr.splitlines() == ["warning: --text-field is deprecated; use --text-column body"]
    via_set = runner.invoke(cli, ["corpora", "--corpus", corpus, "--set", "corpus.text_field=body", "--json", "-q"])
    assert via_set.exit_code == 0 and json.loads(via_set.stdout)["path"] == json.loads(new.stdout)["path"]
    assert via_set.stderr.splitlines() == [
        "warning: config key corpus.text_field is deprecated; use corpus.text_column (--text-column)"
    ]
    assert "--text-field" not in runner.invoke(cli, ["corpora", "--help"]).output  # hidden, still accepted


def test_the_old_config_key_maps_to_the_new_one_and_round_trips(tmp_path: Path) -> None:
    from synthrr.stages.generate import fingerprint

    old = RunConfig.from_dict({"corpus": {"name": "docs.csv", "text_field": "body"}})
    new = RunConfig.from_dict({"corpus": {"name": "docs.csv", "text_column": "body"}})
    assert old == new and old.corpus.text_column == "body"
    text = new.to_yaml(tmp_path / "run.yaml")
    assert "text_column: body" in text and "text_field" not in text
    assert RunConfig.from_yaml(tmp_path / "run.yaml") == new
    assert fingerprint(old) == fingerprint(new) != fingerprint(RunConfig.from_dict({"corpus": {"name": "docs.csv"}}))
    with pytest.raises(ConfigError, match="give only text_column"):
        RunConfig.from_dict({"corpus": {"text_field": "a", "text_column": "b"}})


def test_generate_and_retrieve_take_text_column() -> None:
    for command in ("generate", "retrieve", "corpora"):
        assert "--text-column COLUMN" in CliRunner().invoke(cli, [command, "--help"]).output


def test_a_wrong_corpus_column_spells_the_fix(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["corpora", "--corpus", str(_corpus(tmp_path)), "-q"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    line = res.output.strip()
    assert line.count("\n") == 0, line
    assert "no column 'text'; columns found: 'id', 'body', 'stars'" in line
    assert "--text-column body (or --set corpus.text_column=body)" in line


def test_a_wrong_task_column_spells_the_yaml_fix(tmp_path: Path) -> None:
    from synthrr.tasks import get_task

    (tmp_path / "d.csv").write_text("message,team\nhi there,billing\nit broke,tech\n")
    path = tmp_path / "t.yaml"
    path.write_text(
        "name: t\nlabels: [{name: billing, verbalization: a bill}, {name: tech, verbalization: a bug}]\n"
        "data: {file: d.csv, label_column: team}\n"
    )
    with pytest.raises(InputError) as info:
        get_task(str(path)).load_split("train")
    msg = str(info.value)
    assert (
        "no column 'text'; columns found: 'message', 'team'" in msg
        and f"set data.text_column: message in {path}" in msg
    )


def test_python_warnings_are_one_line_on_stderr_without_configuring_logging(tmp_path: Path) -> None:
    code = "from synthrr.config import RunConfig; RunConfig().with_overrides({'corpus.text_field': 'body'})"
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stderr == "config key corpus.text_field is deprecated; use corpus.text_column (--text-column)\n"


def test_to_hf_without_progress_draws_no_bar(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("datasets")
    import synthrr

    rows = [{"text": f"message number {i} about {lab}", "label": lab} for lab in ("a", "b") for i in range(4)]
    task = synthrr.make_task({"train": rows, "test": rows}, name="two")
    run = synthrr.generate(
        task=task, method="fewgen", llm="fake", per_label=2, n=2, out=tmp_path, progress=False,
        overrides={"synthesis.filters.label_consistency": "none"},
    )  # fmt: skip
    capfd.readouterr()
    run.to_hf()
    assert "Casting the dataset" in capfd.readouterr().err  # the bar this switch is about
    ds = run.to_hf(progress=False)
    assert len(ds) == 2 and capfd.readouterr().err == ""
    run.to_hf()
    assert "Casting the dataset" in capfd.readouterr().err  # switched back on afterwards

    runner = CliRunner()
    quiet = runner.invoke(cli, ["export", str(run.run_dir), str(tmp_path / "quiet"), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and "wrote 2 examples (hf)" in quiet.stdout
    loud = runner.invoke(cli, ["export", str(run.run_dir), str(tmp_path / "loud")])
    assert loud.exit_code == 0 and "Saving the dataset" in loud.stderr
    run.export(tmp_path / "py", progress=False)
    assert capfd.readouterr().err == ""


def test_help_writes_defaults_one_way_and_lists_whole_descriptions() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"]).output
    listed = top.split("Commands:")[1]
    assert "..." not in listed and "Generate a labelled synthetic dataset into" in listed
    for command in ("generate", "retrieve", "seeds", "evaluate", "corpora", "export", "show", "cache"):
        text = runner.invoke(cli, [command, "--help"]).output
        assert "(default" not in text, command
        notes = re.findall(r"\[([^\[\]]+)\]", re.sub(r"\s+", " ", text))
        odd = [
            n
            for n in notes
            if not n.startswith(("default: ", "required")) and not re.match(r"[A-Z]+$|[\w.-]+(\|[\w.-]+)+$|.*[<>]=", n)
        ]  # all else: metavars ([OPTIONS]), choices ([hf|csv]) and ranges ([x>=1]) that click writes
        assert not odd, (command, odd)
    assert "[default: imdb]" in re.sub(r"\s+", " ", runner.invoke(cli, ["generate", "--help"]).output)


def test_the_progress_switch_silences_library_bars(capfd: pytest.CaptureFixture[str]) -> None:
    datasets = pytest.importorskip("datasets")
    from synthrr.core.log import progress_enabled, progress_switch

    def stage() -> None:
        ds = datasets.Dataset.from_dict({"label": ["a", "b", "a"]})
        ds.cast_column("label", datasets.ClassLabel(names=["a", "b"]))

    capfd.readouterr()
    with progress_switch(False):
        assert not progress_enabled()
        stage()
    assert capfd.readouterr().err == ""
    assert progress_enabled()  # restored
    stage()
    assert "Casting the dataset" in capfd.readouterr().err


def test_bars_and_step_lines_follow_the_one_switch_and_warnings_do_not() -> None:
    code = (
        "import logging\n"
        "from synthrr.core.log import progress, progress_switch, step\n"
        "log = logging.getLogger('synthrr.somewhere')\n"
        "step('step %d', 1); log.info('not a step'); log.warning('careful')\n"
        "with progress(total=3, desc='counting') as bar:\n    bar.update(3); bar.set_postfix(x=1)\n"
        "with progress_switch(False):\n"
        "    step('step 2'); log.warning('still careful')\n"
        "    assert list(progress(range(3), desc='hidden')) == [0, 1, 2]\n"
        "    with progress(total=2, desc='hidden') as bar:\n        bar.update(2); bar.set_postfix_str('y')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = [ln for ln in done.stderr.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[:2] == ["step 1", "careful"] and lines[-1] == "still careful", lines
    assert any(ln.startswith("counting: 100%") for ln in lines) and "hidden" not in done.stderr
    assert "step 2" not in done.stderr and "not a step" not in done.stderr


def test_configured_logging_takes_the_lines_instead(tmp_path: Path) -> None:
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, format='%(levelname)s %(name)s %(message)s', level=logging.INFO)\n"
        "from synthrr.core.log import step\n"
        "step('a step'); logging.getLogger('synthrr.x').warning('a warning')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""  # not twice: the application's handler has them
    assert done.stdout.splitlines() == ["INFO synthrr.progress a step", "WARNING synthrr.x a warning"]


def test_the_cli_prints_step_lines_bare_and_warnings_marked(tmp_path: Path) -> None:
    from synthrr.core.log import command_voice, step

    @click.command()
    @quiet_option
    def talk() -> None:
        step("a step")
        logging.getLogger("synthrr.somewhere").warning("a warning")

    undo = command_voice()
    try:
        loud = CliRunner().invoke(talk, [])
        quiet = CliRunner().invoke(talk, ["-q"])
    finally:
        undo()
    assert loud.stderr.splitlines() == ["a step", "warning: a warning"]
    assert quiet.stderr.splitlines() == ["warning: a warning"]


def test_a_task_file_key_typo_suggests_the_key(tmp_path: Path) -> None:
    from synthrr.tasks import get_task

    path = tmp_path / "t.yaml"
    path.write_text(
        "name: t\nlabels: [{name: a, verbalization: x}, {name: b, verbalization: y}]\n"
        "data: {file: d.csv, text_colum: body}\n"
    )
    with pytest.raises(
        ConfigError, match=r"t\.yaml: config field 'data\.text_colum': .*did you mean 'data\.text_column'"
    ):
        get_task(str(path))
