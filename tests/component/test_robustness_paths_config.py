"""Robustness beyond the catalogue: names that would escape their folder, settings that would
vanish or contradict each other, and wrong types at the Python API boundary. Each is an error
naming the thing (exit 2, one ``error:`` line, no traceback) or, for names that only become path
parts, a safe folder inside its root (a property test over generated names)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthrr
from synthrr.cli import cli
from synthrr.config import NULL, RunConfig, parse_set_option
from synthrr.core.errors import ConfigError, InputError, UsageError
from synthrr.core.paths import MAX_NAME_BYTES, name_problem, safe_name
from synthrr.tasks import get_task

DATA = Path(__file__).parent.parent / "data"
TASK_DIR = DATA / "tasks"
TASK = str(TASK_DIR / "support_tickets.yaml")
FAKE = ["--llm", "fake", "--per-label", "3", "--n", "3", "--no-progress", "--set", "llm.cache=false"]


def one_error_line(res: Any) -> str:
    """The CLI result's single ``error:`` line, after checking exit 2 and no traceback."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.output
    return errors[0]


def task_copy(tmp: Path, name: str) -> Path:
    """The support-tickets task under ``tmp``, its ``name:`` replaced."""
    shutil.copytree(TASK_DIR / "support_tickets", tmp / "support_tickets")
    text = (TASK_DIR / "support_tickets.yaml").read_text(encoding="utf-8")
    path = tmp / "task.yaml"
    path.write_text(text.replace("name: support_tickets", f"name: {json.dumps(name)}"), encoding="utf-8")
    return path


# ---- names that escape ------------------------------------------------------------------------


def test_task_name_with_a_path_is_refused_naming_field_and_file(tmp_path: Path) -> None:
    task = task_copy(tmp_path, "../../escaped_task")
    out = tmp_path / "sub" / "out"
    res = CliRunner().invoke(cli, ["generate", "--task", str(task), "--method", "fewgen", *FAKE, "--out", str(out)])
    line = one_error_line(res)
    assert "'name'" in line and str(task) in line and "path separator" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["support_tickets", "task.yaml"]  # nothing escaped


@pytest.mark.parametrize("name", ["..", "a..b", "tab\there", "back\\slash"])
def test_task_names_that_are_paths_are_refused(tmp_path: Path, name: str) -> None:
    res = CliRunner().invoke(cli, ["tasks", "--task", str(task_copy(tmp_path, name))])
    assert "'name'" in one_error_line(res)


def test_a_name_that_is_only_odd_runs_in_a_safe_folder(tmp_path: Path) -> None:
    """Spaces and other characters are allowed in a task name; its run folder replaces them."""
    task = task_copy(tmp_path, "Support tickets: EU")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["generate", "--task", str(task), "--method", "fewgen", *FAKE, "--out", str(out)])
    assert res.exit_code == 0, res.output
    (run,) = out.iterdir()
    assert run.name.startswith("Support_tickets_EU-fewgen-")


names = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["..", ".", "../../escaped", "/etc/passwd", "a/../../b", "\\..\\x", "~", "-rf", "", " ", "\x00", ".hidden"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names)
def test_no_name_places_a_path_outside_its_root(tmp_path: Path, name: str) -> None:
    """Run, oracle and student folders stay directly in their root."""
    from synthrr.metrics.fidelity import oracle_key
    from synthrr.run.rundir import student_dir
    from synthrr.stages.generate import run_dir_for

    component = safe_name(name)
    assert component and component not in (".", "..") and "/" not in component and "\\" not in component
    assert not component.startswith((".", "-")) and len(component.encode("utf-8")) <= MAX_NAME_BYTES
    root = tmp_path.resolve()
    cfg = RunConfig(out=tmp_path, synthesis={"method": name})
    task = SimpleNamespace(name=name, load_split=lambda split: [])
    made = [
        run_dir_for(cfg, name),
        student_dir(tmp_path, name),
        tmp_path / oracle_key(task, name),  # type: ignore[arg-type]
    ]
    for path in made:
        assert path.resolve().parent in (root, root / "students"), (name, path)
        assert len(path.name.encode("utf-8")) <= 255


@settings(max_examples=100, deadline=None)
@given(name=names)
def test_cache_folders_of_generated_names_stay_in_the_cache(name: str) -> None:
    from synthrr.api.inputs import _folder
    from synthrr.core.paths import home
    from synthrr.corpus.catalog import cache_dir
    from synthrr.corpus.ingest import IngestSettings

    root = home().resolve()
    source = SimpleNamespace(name=name, fingerprint=lambda: "f00d")
    corpus_dir = cache_dir(source, IngestSettings.resolve(None))  # type: ignore[arg-type]
    assert corpus_dir.resolve().parent == root / "corpora"
    assert _folder("tasks", name, {"x": 1}).resolve().parent == root / "inputs" / "tasks"


def test_index_folder_names_are_safe(tmp_path: Path) -> None:
    from synthrr.core.paths import home
    from synthrr.retrieval.indexes import index_dir_for

    corpus = SimpleNamespace(fingerprint="../../x")
    retriever = SimpleNamespace(name="../bm25", fingerprint=lambda: "/abs")
    path = index_dir_for(corpus, retriever)  # type: ignore[arg-type]
    assert path.resolve().parent == (home() / "indexes").resolve()


def test_name_problem() -> None:
    assert name_problem("support_tickets") is None
    assert name_problem("Support tickets (EU)") is None
    for bad in ("a/b", "..", "x\\y", "a\nb"):
        assert name_problem(bad)


# ---- config validators ------------------------------------------------------------------------


@pytest.mark.parametrize("item", ["synthesis.n=", "synthesis.n=  ", "corpus.name="])
def test_an_empty_set_value_is_an_error_naming_the_key(tmp_path: Path, item: str) -> None:
    argv = ["generate", "--task", TASK, "--method", "fewgen", *FAKE, "--n", "6", "--set", item, "--out", str(tmp_path)]
    line = one_error_line(CliRunner().invoke(cli, argv))
    assert item.split("=")[0] in line and "empty value" in line
    assert not any(tmp_path.iterdir())


def test_null_means_the_default_explicitly() -> None:
    assert parse_set_option("seeds.per_label=null") == ("seeds.per_label", NULL)
    cfg = RunConfig(seeds={"per_label": 5}).with_overrides({"seeds.per_label": NULL})
    assert cfg.seeds.per_label is None
    with pytest.raises(ConfigError, match=r"synthesis\.n"):  # a field that cannot be None says so
        RunConfig().with_overrides(dict([parse_set_option("synthesis.n=~")]))
    assert RunConfig(synthesis={"n": 6}).with_overrides({"synthesis.n": None}).synthesis.n == 6  # None: not given


def test_an_empty_override_from_python_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"'corpus\.text_column': empty value"):
        RunConfig().with_overrides({"corpus.text_column": ""})


def test_an_unset_variable_in_a_path_names_variable_and_field(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("SYNTHRR_SURELY_UNSET", raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("out: ${SYNTHRR_SURELY_UNSET}/runs\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["generate", "--config", str(config), "--task", TASK, *FAKE])
    line = one_error_line(res)
    assert "'out'" in line and "SYNTHRR_SURELY_UNSET" in line and str(config) in line
    assert not list(Path.cwd().glob("${*"))
    monkeypatch.setenv("SYNTHRR_SURELY_UNSET", str(tmp_path))
    assert RunConfig.from_yaml(config).out == tmp_path / "runs"
    with pytest.raises(ConfigError, match=r"'corpus\.name'.*NOPE_NOT_SET"):
        RunConfig(corpus={"name": "${NOPE_NOT_SET}/c.jsonl"})


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ("synthesis.icl_ranks=[3,1]", "synthesis.icl_ranks"),
        ("synthesis.icl_ranks=[0,2]", "synthesis.icl_ranks"),
        ("synthesis.context_tokens=[400,1]", "synthesis.context_tokens"),
        ("synthesis.icl_band=[0.9,0.1]", "synthesis.icl_band"),
        ("synthesis.input_band=[0.9,0.1]", "synthesis.input_band"),
        ("retrieval.k=2", "retrieval.k"),
        ("synthesis.filters.max_tokens=2", "synthesis.filters"),
    ],
)
def test_contradictory_settings_are_errors(tmp_path: Path, item: str, field: str) -> None:
    argv = ["generate", "--task", TASK, *FAKE, "--set", item, "--out", str(tmp_path)]
    line = one_error_line(CliRunner().invoke(cli, argv))
    assert f"'{field}'" in line
    assert not any(tmp_path.iterdir())


def test_k_must_reach_past_the_demonstration_ranks_only_for_retrieval_methods() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.k.*inputs start at rank 6"):
        RunConfig(synthesis={"icl_ranks": (4, 5)}, retrieval={"k": 5})
    assert RunConfig(synthesis={"icl_ranks": (4, 5)}, retrieval={"k": 6}).retrieval.k == 6
    assert RunConfig(synthesis={"method": "fewgen"}, retrieval={"k": 1}).retrieval.k == 1


def test_a_cross_field_error_names_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("retrieval:\n  k: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{config}: config field 'retrieval.k'"):
        RunConfig.from_yaml(config)


# ---- types at the Python API boundary ---------------------------------------------------------

ROWS = [{"text": f"text {i} about {lab}", "label": lab} for i in range(3) for lab in ("spam", "ham")]


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: synthrr.generate(task=123), "generate(): task= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.generate(overrides="synthesis.n=6"), "generate(): overrides= takes a dict"),  # type: ignore[arg-type]
        (lambda: synthrr.generate(overrides={3: 1}), "overrides= takes"),  # type: ignore[dict-item]
        (lambda: synthrr.generate(42), "generate(): config= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.generate(out=5), "generate(): out= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.plan(corpus=3.5), "plan(): corpus= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.build_config(task=object()), "build_config(): task= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.make_corpus(None), "make_corpus(): texts= takes"),
        (lambda: synthrr.make_corpus(["a"], name="../x"), "make_corpus(): name='../x' contains"),
        (lambda: synthrr.make_task(42), "make_task(): data= takes"),
        (lambda: synthrr.make_task(ROWS, name=""), "make_task(): name= takes"),
        (lambda: synthrr.make_task(ROWS, name="a/b"), "make_task(): name='a/b' contains a path separator"),
        (lambda: synthrr.make_task(ROWS, labels=7), "make_task(): labels= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.make_task(ROWS, labels=["spam", 3]), "make_task(): labels= takes"),  # type: ignore[list-item]
        (lambda: synthrr.make_task({"train": 42}), "task data (train): expected"),
        (lambda: synthrr.evaluate(None), "evaluate(): run= takes"),  # type: ignore[arg-type]
        (lambda: synthrr.compare("runs/x"), "compare(): runs= takes a list"),
        (lambda: synthrr.compare([None]), "compare(): runs= takes"),  # type: ignore[list-item]
        (lambda: synthrr.load(None), "load(): run_dir= takes"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_at_the_api_name_the_parameter(call: Any, says: str) -> None:
    with pytest.raises(UsageError) as info:
        call()
    assert info.value.exit_code == 2
    assert says in str(info.value)
    assert "\n" not in str(info.value)


def test_the_right_types_still_work(tmp_path: Path) -> None:
    ref = synthrr.make_task(ROWS, name="Spam filter", labels={"spam": "unwanted mail", "ham": "normal mail"})
    assert ref.path.parent.name.startswith("Spam_filter-")
    cfg = synthrr.build_config(
        task=ref, corpus=["one text", {"text": "two"}], out=tmp_path, overrides={"synthesis.n": 1}
    )
    assert cfg.task == str(ref.path) and Path(cfg.corpus.name).is_file() and cfg.synthesis.n == 1


def test_a_jsonl_text_field_that_is_an_object_names_file_line_and_field(tmp_path: Path) -> None:
    task = task_copy(tmp_path, "support_tickets")
    train = tmp_path / "support_tickets" / "train.jsonl"
    lines = [{"message": "I was charged twice", "team": "billing"}]
    lines += [{"message": {"subject": "refund", "body": "please refund me"}, "team": "billing"}]
    train.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    text = task.read_text(encoding="utf-8").replace("support_tickets/train.csv", "support_tickets/train.jsonl")
    task.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        get_task(str(task)).load_split("train")
    err = info.value
    assert err.path == str(train) and err.line == 2
    assert "column 'message'" in str(err) and "an object" in str(err) and "'subject'" in str(err)
    res = CliRunner().invoke(cli, ["tasks", "--task", str(task)])
    assert f"{train}:2" in one_error_line(res)


@pytest.mark.parametrize("value", [["a", "b"], b"bytes"])
def test_other_non_text_cells_are_refused(value: Any) -> None:
    from synthrr.tasks.custom import _as_text

    with pytest.raises(InputError, match="data row 4: column 'text'"):
        _as_text(value, "hub:x", 3, "text")
    assert _as_text(12, "f", 0, "text") == "12"
