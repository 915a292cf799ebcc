from __future__ import annotations

from pathlib import Path

import pytest

from synthrr.core.errors import InputError, UnknownNameError
from synthrr.core.io import atomic_dir, atomic_open, iter_jsonl, read_table
from synthrr.core.registry import Registry
from synthrr.core.text import content_id, count_tokens, normalize_whitespace, tokenize


def test_registry_lazy_and_unknown_lists_known() -> None:
    reg: Registry[object] = Registry("widget", "synthrr.test_widgets", {"path": "pathlib:Path"})
    assert reg.get("path") is Path

    @reg.register("mine")
    class Mine:
        pass

    assert reg.get("mine") is Mine
    assert reg.names() == ["mine", "path"]
    with pytest.raises(UnknownNameError) as e:
        reg.get("nope")
    assert "unknown widget 'nope'" in str(e.value) and "mine, path" in str(e.value)
    assert e.value.exit_code == 2


def test_text_helpers() -> None:
    assert normalize_whitespace("  a\n\tb   c ") == "a b c"
    assert tokenize("Hello, world!") == ["Hello", ",", "world", "!"]
    assert count_tokens("Hello, world!") == 4
    assert content_id("abc") == content_id("abc") != content_id("abd")
    assert content_id("abc").startswith("p-") and len(content_id("abc")) == 18


def test_atomic_open_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("new")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_open(target) as fh:
        fh.write("new")
    assert target.read_text() == "new"


def test_atomic_dir(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    with pytest.raises(RuntimeError), atomic_dir(target) as d:
        (d / "a").write_text("x")
        raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_dir(target) as d:
        (d / "a").write_text("x")
    assert (target / "a").read_text() == "x"


def test_jsonl_errors_name_line(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"text": "a"}\n\n{"text": "b"\n')
    with pytest.raises(InputError) as e:
        list(iter_jsonl(p))
    assert e.value.line == 3 and "malformed JSON" in str(e.value)
    p.write_bytes(b'{"text": "a"}\n{"text": "\xff"}\n')
    with pytest.raises(InputError) as e:
        list(iter_jsonl(p))
    assert e.value.line == 2 and "UTF-8" in str(e.value)
    p.write_bytes(b"[1, 2]\n")
    with pytest.raises(InputError, match="JSON object"):
        list(iter_jsonl(p))


def test_read_table_formats_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("text,label\nhello,a\nworld,b\n")
    assert read_table(csv, ["text", "label"])["label"].tolist() == ["a", "b"]
    with pytest.raises(InputError, match="missing column"):
        read_table(csv, ["body"])
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,a\nworld,b,c\n")
    with pytest.raises(InputError, match="malformed CSV"):
        read_table(bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"text,label\ncaf\xe9,a\n")
    with pytest.raises(InputError) as e:
        read_table(latin)
    assert e.value.line == 2
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "missing.csv")
    docx = tmp_path / "x.docx"
    docx.write_text("")
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(docx)


def test_errors_survive_pickling() -> None:
    import pickle

    from synthrr.core.errors import BackendError, ConfigError, InputError

    for err in (
        InputError("data.csv", "malformed CSV", line=3),
        ConfigError("retrieval.k", "must be positive", source="run.yaml"),
        BackendError("openai", "bad key", config=True),
        UnknownNameError("task", "nope", ["imdb"]),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and back.exit_code == err.exit_code
        assert vars(back) == vars(err)


def test_require_names_the_extra_of_a_missing_module() -> None:
    import pytest

    from synthrr.core.errors import MissingExtraError, require

    json_mod, os_mod = require("x", "core", "json", "os")
    assert json_mod.__name__ == "json" and os_mod.__name__ == "os"
    with pytest.raises(MissingExtraError, match=r"the widget needs .*'no_such_mod_xyz'.*synthrr\[widgets\]"):
        require("the widget", "widgets", "json", "no_such_mod_xyz")
