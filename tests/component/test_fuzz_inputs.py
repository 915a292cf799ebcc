"""The input fuzzer (issue #35): Hypothesis generates task YAML files, run configs, ``--set``
overrides, corpus files (encodings, delimiters, compression, value types) and damaged run
directories, and feeds each to the command a user would run, in-process with the fake backend,
``--dry-run``, ``tasks --task`` or ``corpora --corpus``. For every generated case:

- no traceback: the command ends with a clean exit, 0 or 2 (a usage or input error);
- an exit 2 prints an ``error:`` line (or click's ``Error:`` for a flag) that names the thing: the
  file, the config field or the flag;
- nothing is written outside the case's output root (the case's folder holds only its inputs and
  that root afterwards).

Profiles (``SYNTHRR_FUZZ``): ``fast`` (default, part of ``make test``: a few hundred cases in all)
and ``long`` (``make fuzz``: thousands; its counts are in docs/reliability.md). Both are
reproducible (``derandomize``) and keep no example database in the working tree.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import lzma
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from synthrr.cli import cli

DATA = Path(__file__).parent.parent / "data"
SUPPORT = DATA / "tasks" / "support_tickets"
SUPPORT_YAML = DATA / "tasks" / "support_tickets.yaml"
CORPUS = DATA / "corpora" / "help_centre.jsonl"

#: examples per fuzz test in each profile (six tests: ~300 cases fast, ~7,500 long)
EXAMPLES = {"fast": 50, "long": 1250}
PROFILE = os.environ.get("SYNTHRR_FUZZ", "fast")
settings.register_profile(
    "synthrr",
    max_examples=EXAMPLES.get(PROFILE, EXAMPLES["fast"]),
    deadline=None,
    database=None,
    derandomize=PROFILE != "long",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("synthrr")

# --- what every case must satisfy -------------------------------------------------------------------


@contextmanager
def case_dir() -> Iterator[Path]:
    """A fresh folder per generated case (Hypothesis runs many cases in one test function)."""
    folder = Path(tempfile.mkdtemp(prefix="synthrr-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def invoke(folder: Path, argv: list[str]) -> tuple[Result, set[str]]:
    """Run ``synthrr argv`` in-process with ``folder`` as the working directory; return the result and
    the paths the run added under ``folder``."""
    before = tree(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        res = CliRunner().invoke(cli, argv)
    finally:
        os.chdir(cwd)
    return res, tree(folder) - before


def assert_clean(res: Result, names: tuple[str, ...], allowed: tuple[int, ...] = (0, 2)) -> None:
    """No traceback, an allowed exit code, and an exit 2 names one of ``names``."""
    exc = res.exception
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        where = "".join(traceback.format_exception(*res.exc_info)[-3:]) if res.exc_info else ""
        pytest.fail(f"{type(exc).__name__}: {exc}\n{where}\n{res.output}")
    assert "Traceback" not in res.output, res.output
    assert res.exit_code in allowed, res.output
    event(f"exit {res.exit_code}")  # the share of each exit code, in --hypothesis-show-statistics
    if res.exit_code == 2:
        lines = [ln for ln in res.output.splitlines() if ln.startswith(("error:", "Error:"))]
        assert lines, res.output
        assert any(n in lines[-1] for n in names), f"names none of {names}: {lines[-1]}"


def assert_confined(added: set[str], root: str) -> None:
    """Every path the command added lies under ``root`` (relative to the case folder)."""
    outside = sorted(p for p in added if p != root and not p.startswith(root + "/"))
    assert not outside, f"written outside {root}/: {outside}"


# --- task files -------------------------------------------------------------------------------------

WORDS = st.sampled_from(["billing", "technical", "account", "spam", "ham", "a", "B", "x y", "1", "true", "é"])
TEMPLATE_PARTS = st.sampled_from(
    [
        "Write about ", "{verbalization}", "{label}", "{context_header}", "{answer_prefix}", ". ",
        "{verbalization:d}", "{label!r}", "{label!z}", "{label:>{label}}", "{", "}", "{{", "}}", "{0}",
        "{}", "{unknown}", "{label[0]}", "{label.upper}", "{verbalization:.3}", "{answer_prefix!s:^20}",
    ]
)  # fmt: skip
TEMPLATES = st.dictionaries(
    st.sampled_from(["synthesizrr", "fewgen", "zerogen", "default", "supergen", "bogus"]),
    st.lists(TEMPLATE_PARTS, max_size=6).map("".join),
    max_size=3,
)
LABELS = st.one_of(
    st.lists(WORDS, min_size=0, max_size=4),
    st.lists(st.fixed_dictionaries({"name": WORDS, "verbalization": st.text(max_size=20)}), max_size=4),
    st.sampled_from(["spam,ham", 3, None, {"a": "b"}, [1, 2], [None, "x"]]),
)
ODD = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=12), st.lists(st.integers(), max_size=2))
NAMES = st.one_of(
    st.sampled_from(["support", "my task", "../../escaped", "/abs/name", "a/b", "..", ".", "x" * 300, "ünï"]),
    st.text(max_size=20),
    st.integers(),
)


@st.composite
def data_file(draw: st.DrawFn, folder: Path, labels: list[str]) -> str:
    """A small labelled data file the task's ``data`` points at; returns its name."""
    fmt = draw(st.sampled_from(["csv", "tsv", "jsonl", "parquet", "csv.gz", "txt"]))
    text_col, label_col = draw(st.sampled_from([("text", "label"), ("message", "team"), ("body", "label")]))
    pool = labels or ["a"]
    rows = draw(
        st.lists(
            st.tuples(st.one_of(st.text(min_size=0, max_size=30), ODD), st.sampled_from([*pool, "other", ""])),
            max_size=12,
        )
    )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[text_col, label_col])
    name = f"data.{fmt}"
    path = folder / name
    if fmt == "parquet":
        try:
            frame.to_parquet(path)
        except Exception:  # mixed types pyarrow cannot store: write them as text
            frame.astype(str).to_parquet(path)
    elif fmt == "jsonl":
        path.write_text(frame.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
    else:
        body = frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",").encode()
        path.write_bytes(gzip.compress(body) if draw(st.booleans()) and fmt == "csv.gz" else body)
    return name


@st.composite
def task_file(draw: st.DrawFn, folder: Path) -> Path:
    """A task YAML: mostly near a valid one, with one or more fields drawn from odd values."""
    spec: dict[str, Any] = yaml.safe_load(SUPPORT_YAML.read_text(encoding="utf-8"))
    shutil.copytree(SUPPORT, folder / "support_tickets")
    fields = {
        "name": NAMES,
        "labels": LABELS,
        "templates": TEMPLATES,
        "max_new_tokens": st.one_of(st.integers(-5, 20_000), ODD),
        "context_header": st.one_of(st.text(max_size=20), ODD),
        "kind": ODD,
    }
    for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True)):  # 0-2 odd fields
        spec[key] = draw(fields[key])
    if draw(st.integers(0, 2)) == 0:
        given = spec.get("labels")
        given = given if isinstance(given, list) else []
        labels = [str(lab.get("name", "")) if isinstance(lab, dict) else str(lab) for lab in given]
        data: dict[str, Any] = {"file": draw(data_file(folder, labels))}
        for key, strategy in [
            ("text_column", st.sampled_from(["text", "message", "body", "", "nope"])),
            ("label_column", st.sampled_from(["label", "team", "", "nope"])),
            ("test_fraction", st.one_of(st.floats(-1, 2), st.just(float("nan")), ODD)),
            ("label_map", st.one_of(st.dictionaries(WORDS, WORDS, max_size=2), ODD)),
            ("splits", st.just({"train": "data.csv"})),
        ]:
            if draw(st.booleans()):
                data[key] = draw(strategy)
        spec["data"] = data
    if draw(st.booleans()):
        spec[draw(st.sampled_from(["lables", "template", "extra", "data_file"]))] = draw(ODD)
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    raw = text.encode()
    damage = draw(st.sampled_from(["none"] * 6 + ["truncate", "bom", "utf16", "latin1", "tab", "list"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "bom":
        raw = codecs.BOM_UTF8 + raw
    elif damage == "utf16":
        raw = text.encode("utf-16")
    elif damage == "latin1":
        raw = raw.replace(b"Route", b"R\xe9oute")
    elif damage == "tab":
        raw = raw.replace(b"\n  ", b"\n\t", 1)
    elif damage == "list":
        raw = b"- " + raw.replace(b"\n", b"\n  ")
    path = folder / "task.yaml"
    path.write_bytes(raw)
    return path


@FUZZ
@given(data=st.data())
def test_fuzz_task_files(data: st.DataObject) -> None:
    with case_dir() as folder:
        task = data.draw(task_file(folder))
        res, added = invoke(folder, ["tasks", "--task", str(task)])
        assert_clean(res, ("task.yaml", "data.", "support_tickets/", "--task"))
        assert_confined(added, "no-output")  # `tasks` writes nothing


# --- corpus files -----------------------------------------------------------------------------------

GOOD = "a help-centre article about refunds, invoices and the login page that is long enough to keep"
TEXTS = st.one_of(
    st.just(GOOD),
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from([*list(",;\t\"'\n\r |\\{}"), "é", "\u2028", "\x00"]), max_size=30),
    st.builds(lambda n: GOOD + " word" * n, st.integers(0, 500)),
)
CELLS = st.one_of(TEXTS, st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.lists(st.integers()))
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


def _delimited(rows: list[tuple[Any, Any]], column: str, sep: str) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    writer.writerow([column, "id"])
    writer.writerows(rows)
    return buf.getvalue()


@st.composite
def corpus_file(draw: st.DrawFn, folder: Path) -> Path:
    fmt = draw(st.sampled_from(["jsonl", "csv", "tsv", "parquet", "txt-folder"]))
    column = draw(st.sampled_from(["text", "text", "body", ""]))
    rows = draw(st.lists(st.tuples(CELLS, st.one_of(st.integers(), st.text(max_size=5))), max_size=20))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    if fmt == "txt-folder":
        path = folder / "docs"
        path.mkdir()
        for i, (cell, _) in enumerate(rows):
            (path / f"{i}.txt").write_bytes(str(cell).encode(encoding, errors="replace"))
        return path
    if fmt == "parquet":
        import pandas as pd

        path = folder / "corpus.parquet"
        frame = pd.DataFrame(rows, columns=[column or "text", "id"])
        try:
            frame.to_parquet(path)
        except Exception:  # mixed types pyarrow cannot store: write them as text
            frame.astype(str).to_parquet(path)
        return path
    if fmt == "jsonl":
        text = "".join(json.dumps({column: cell, "id": i}, ensure_ascii=False) + "\n" for cell, i in rows)
    else:
        text = _delimited(rows, column, "," if fmt == "csv" else "\t")
    raw = text.encode(encoding, errors="replace")
    packed = draw(st.sampled_from(list(COMPRESS)))
    raw = COMPRESS[packed](raw)
    if draw(st.integers(0, 4)) == 0:  # a truncated or damaged file
        raw = raw[: draw(st.integers(0, len(raw)))]
    suffix = draw(st.sampled_from([packed, packed, "", ".gz", ".bz2"]))  # sometimes a suffix that lies
    path = folder / f"corpus.{fmt}{suffix}"
    path.write_bytes(raw)
    return path


@FUZZ
@given(data=st.data())
def test_fuzz_corpus_files(data: st.DataObject) -> None:
    with case_dir() as folder:
        corpus = data.draw(corpus_file(folder))
        extra = data.draw(st.sampled_from([[], ["--min-tokens", "1"], ["--chunk-tokens", "8"], ["--id-field", "id"]]))
        res, added = invoke(folder, ["corpora", "--corpus", str(corpus), "--no-progress", "-q", "--json", *extra])
        assert_clean(res, (corpus.name, "corpus.", "--min-tokens", "--id-field", "corpus.id_field"))
        assert_confined(added, "no-output")  # the passages go to SYNTHRR_HOME, outside the case folder


# --- run configs and --set overrides ----------------------------------------------------------------


def config_keys() -> list[str]:
    """Every dotted field of a run config (``synthesis.filters.min_tokens``, ...)."""
    from pydantic import BaseModel

    from synthrr.config import RunConfig

    def walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
        for name, field in model.model_fields.items():
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                yield from walk(ann, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    return sorted(walk(RunConfig, ""))


KEYS = config_keys()
VALUES = st.one_of(
    st.integers(-5, 5000),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["", "null", "[3,1]", "[1,2,3]", "${UNSET}", "../../up", "true", "no", "{a: 1}", "[", "x y"]),
    st.text(max_size=10),
)


def _set_items(keys: list[str], values: list[Any]) -> list[str]:
    return [f"{k}={v}" for k, v in zip(keys, values, strict=False)]


@st.composite
def overrides(draw: st.DrawFn) -> list[str]:
    n = draw(st.integers(1, 3))
    keys = draw(
        st.lists(
            st.one_of(st.sampled_from(KEYS), st.sampled_from(["retrieval.topk", "nope", "=x"])), min_size=n, max_size=n
        )
    )
    return _set_items(keys, draw(st.lists(VALUES, min_size=n, max_size=n)))


def _base_argv(method: str, out: str) -> list[str]:
    argv = ["generate", "--task", str(SUPPORT_YAML), "--method", method, "--llm", "fake", "--dry-run"]
    argv += ["--per-label", "3", "--n", "3", "--no-progress", "--out", out]
    if method == "synthesizrr":
        argv += ["--retriever", "bm25", "--corpus", str(CORPUS)]
    return argv


@FUZZ
@given(sets=overrides(), method=st.sampled_from(["fewgen", "synthesizrr", "zerogen"]))
def test_fuzz_set_overrides(sets: list[str], method: str) -> None:
    with case_dir() as folder:
        argv = _base_argv(method, "out")
        for item in sets:
            argv += ["--set", item]
        res, added = invoke(folder, argv)
        keys = tuple(s.partition("=")[0].strip() or s for s in sets)
        values = tuple(f"'{s.partition('=')[2].strip()}'" for s in sets)  # an unknown name is quoted
        assert_clean(res, (*keys, *values, "--set", "config field"))
        assert_confined(added, "out")


@st.composite
def config_file(draw: st.DrawFn, folder: Path) -> Path:
    """A run config YAML of drawn sections and values (sometimes not YAML, not a mapping, not UTF-8)."""
    config: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([*KEYS, "nope", "synthesis.nope"]), max_size=4)):
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[leaf] = draw(VALUES)
    if draw(st.booleans()):
        config["task"] = draw(st.sampled_from([str(SUPPORT_YAML), "nope", "${UNSET}/x.yaml", 3]))
    raw = yaml.safe_dump(config, allow_unicode=True).encode()
    damage = draw(st.sampled_from(["none", "none", "truncate", "list", "utf16", "empty"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "list":
        raw = b"- 1\n- 2\n"
    elif damage == "utf16":
        raw = raw.decode().encode("utf-16")
    elif damage == "empty":
        raw = b""
    path = folder / "run.yaml"
    path.write_bytes(raw)
    return path


@FUZZ
@given(data=st.data(), method=st.sampled_from(["fewgen", "synthesizrr"]))
def test_fuzz_config_files(data: st.DataObject, method: str) -> None:
    with case_dir() as folder:
        config = data.draw(config_file(folder))
        res, added = invoke(folder, [*_base_argv(method, "out"), "--config", str(config)])
        fields = tuple(k for k in KEYS if "." in k)  # e.g. corpus.text_column in the fix an error spells
        assert_clean(res, ("run.yaml", "config field", "--config", "--task", "task", "hits_from", *fields))
        assert_confined(added, "out")


# --- damaged run directories ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real (fake-LLM) fewgen run to damage."""
    out = tmp_path_factory.mktemp("fuzz-runs")
    argv = [*_base_argv("fewgen", str(out))]
    argv.remove("--dry-run")
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    return next(p for p in out.iterdir() if p.is_dir())


RUN_FILES = ["manifest.json", "data.parquet", "config.yaml", "candidates.parquet", "seeds.parquet"]


def _damage(path: Path, how: str, cut: int) -> None:
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        raw = path.read_bytes()
        path.write_bytes(raw[: cut % (len(raw) + 1)])
    elif how == "garbage":
        path.write_bytes(b"\xff\xfe garbage \x00")
    elif how == "utf16" and path.suffix in (".json", ".yaml"):
        path.write_text(path.read_text(encoding="utf-8"), encoding="utf-16")
    elif how == "json-types" and path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in list(data)[cut % max(len(data), 1) :][:2]:
            data[key] = [1, "x"] if cut % 2 else None
        path.write_text(json.dumps(data), encoding="utf-8")
    elif how == "folder":
        path.unlink()
        path.mkdir()


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 2, 10))
@given(
    damages=st.lists(
        st.tuples(
            st.sampled_from(RUN_FILES),
            st.sampled_from(["delete", "truncate", "garbage", "utf16", "json-types", "folder"]),
            st.integers(0, 10_000),
        ),
        min_size=1,
        max_size=2,
        unique_by=lambda d: d[0],
    ),
    command=st.sampled_from(["show", "export", "evaluate"]),
)
def test_fuzz_damaged_run_directories(fuzz_run: Path, damages: list[tuple[str, str, int]], command: str) -> None:
    with case_dir() as folder:
        run = folder / "run"
        shutil.copytree(fuzz_run, run)
        for name, how, cut in damages:
            _damage(run / name, how, cut)
        argv = {
            "show": ["show", "run", "--n", "1"],
            "export": ["export", "run", "out/export"],
            "evaluate": ["evaluate", "run", "--student", "tfidf", "--set", "eval.seeds=1"],
        }[command]
        res, added = invoke(folder, argv)
        assert_clean(res, ("run", "RUN_DIR"))
        assert_confined({p for p in added if not p.startswith("run/")}, "out")
