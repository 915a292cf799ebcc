from __future__ import annotations

from pathlib import Path

import pytest

from synthrr.config import RunConfig, parse_set_option
from synthrr.core.errors import ConfigError, InputError


def test_defaults_round_trip_yaml(tmp_path: Path) -> None:
    cfg = RunConfig()
    path = tmp_path / "run.yaml"
    cfg.to_yaml(path)
    again = RunConfig.from_yaml(path)
    assert again == cfg
    assert again.retrieval.k == 50
    assert again.llm.sampling.top_p == 0.9 and again.llm.sampling.temperature == 0.95


def test_non_default_values_round_trip(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(
        {
            "task": "bbc_news",
            "seeds": {"per_label": 7, "seed": 3},
            "corpus": {"name": "wiki", "min_tokens": 5, "chunk_tokens": 64, "chunk_overlap": 8},
            "retrieval": {"retriever": "bm25", "k": 12, "options": {"k1": 1.2}},
            "llm": {"backend": "openai", "options": {"base_url": "http://127.0.0.1:1/v1"}, "sampling": {"n": 2}},
        }
    )
    path = tmp_path / "run.yaml"
    cfg.to_yaml(path)
    assert RunConfig.from_yaml(path) == cfg


def test_unknown_key_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("retrieval:\n  kk: 3\n")
    with pytest.raises(ConfigError) as e:
        RunConfig.from_yaml(path)
    assert e.value.field == "retrieval.kk"
    assert "unknown key" in str(e.value) and str(path) in str(e.value)
    assert e.value.exit_code == 2


def test_bad_value_names_field_and_value() -> None:
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict({"retrieval": {"k": 0}})
    assert e.value.field == "retrieval.k"
    assert "greater than or equal to 1" in str(e.value) and "got 0" in str(e.value)


def test_cross_field_check() -> None:
    with pytest.raises(ConfigError, match="min_tokens"):
        RunConfig.from_dict({"corpus": {"min_tokens": 50, "max_tokens": 10}})


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("task: imdb\nretrieval:\n  k: [1, 2\n")
    with pytest.raises(InputError) as e:
        RunConfig.from_yaml(path)
    assert e.value.line is not None and str(path) in str(e.value)


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="mapping"):
        RunConfig.from_yaml(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        RunConfig.from_yaml(tmp_path / "nope.yaml")


def test_overrides_dotted_and_none_ignored() -> None:
    cfg = RunConfig().with_overrides({"retrieval.k": 7, "task": None, "llm.sampling.temperature": 0.5})
    assert cfg.retrieval.k == 7 and cfg.task == "imdb" and cfg.llm.sampling.temperature == 0.5
    with pytest.raises(ConfigError) as e:
        RunConfig().with_overrides({"retrieval.nope": 1})
    assert e.value.field == "retrieval.nope"
    with pytest.raises(ConfigError):
        RunConfig().with_overrides({"task.x": 1})


def test_parse_set_option() -> None:
    assert parse_set_option("retrieval.k=20") == ("retrieval.k", 20)
    assert parse_set_option("llm.sampling.stop=[a, b]") == ("llm.sampling.stop", ["a", "b"])
    assert parse_set_option("task=imdb") == ("task", "imdb")
    with pytest.raises(ConfigError):
        parse_set_option("novalue")


def test_eval_section_round_trips_and_leaves_the_data_fingerprint_alone(tmp_path: Path) -> None:
    from synthrr.stages.generate import fingerprint

    cfg = RunConfig().with_overrides(
        {"eval.students": ["minilm", "tfidf"], "eval.seeds": 5, "eval.metrics": ["mauve"], "eval.test_limit": 300}
    )
    path = tmp_path / "run.yaml"
    cfg.to_yaml(path)
    again = RunConfig.from_yaml(path)
    assert again == cfg and again.eval.students == ["minilm", "tfidf"] and again.eval.metrics == ["mauve"]
    assert RunConfig().eval.metrics is None and RunConfig().eval.students == ["tfidf"]
    assert fingerprint(cfg) == fingerprint(RunConfig())  # how a run is measured is not what it generates
    with pytest.raises(ConfigError, match=r"eval\.seeds"):
        RunConfig.from_dict({"eval": {"seeds": 0}})
    with pytest.raises(ConfigError, match=r"eval\.bogus"):
        RunConfig.from_dict({"eval": {"bogus": 1}})


@pytest.mark.parametrize("key", ["corpus.text_column", "corpus.id_field"])
def test_an_empty_column_name_in_a_config_file_is_refused(key: str, tmp_path: Path) -> None:
    section, field = key.split(".")
    path = tmp_path / "run.yaml"
    path.write_text(f"{section}:\n  {field}: ''\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        RunConfig.from_yaml(path)
