"""Task specs, the built-in spec files and the task registry (no data is read here)."""

from __future__ import annotations

import pytest

from synthrr.core.errors import UnknownNameError, UsageError
from synthrr.synth.methods import METHODS
from synthrr.tasks import OFFLINE_TASKS, TASKS, get_task, list_tasks, register_task
from synthrr.tasks.base import LabelSpec, SplitTask, TaskSpec
from synthrr.tasks.specs import builtin_spec, spec_stems

LABELS = [{"name": "a", "verbalization": "about A"}, {"name": "b", "verbalization": "about B"}]


def test_list_tasks_has_builtins_and_hub_tasks() -> None:
    names = list_tasks()
    assert {"imdb", "rotten_tomatoes", "bbc_news", "ag_news", "sst2", "imdb_hub"} <= set(names)
    assert names == sorted(names)
    assert set(OFFLINE_TASKS) <= set(names)


def test_unknown_task_lists_known_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_task("no_such_task")
    msg = str(info.value)
    assert "unknown task 'no_such_task'" in msg and "imdb" in msg and "bbc_news" in msg
    assert info.value.exit_code == 2


@pytest.mark.parametrize("stem", ["imdb", "rotten_tomatoes", "bbc_news", "ag_news"])
def test_builtin_specs_are_complete(stem: str) -> None:
    spec = builtin_spec(stem)
    assert spec.name == stem
    prompting = [METHODS.get(name)() for name in METHODS.names() if METHODS.get(name).uses_llm]
    assert len(prompting) >= 6  # every registered method that writes with the LLM finds its template
    for method in prompting:
        template = method.template_for(spec)
        assert template in spec.templates, (method.name, template)
        for label in spec.label_names:
            text = spec.instruction(template, label)
            assert "{" not in text and spec.verbalization(label) in text
    assert spec.max_new_tokens >= 32
    assert stem in spec_stems()


def test_specific_builtin_choices() -> None:
    imdb = builtin_spec("imdb")
    assert imdb.kind == "sentiment" and imdb.label_names == ["negative", "positive"]
    assert imdb.verbalization("positive") == "what the reviewer liked about the movie"
    assert (imdb.context_header, imdb.answer_prefix) == ("Movie details:", "Review:")
    assert builtin_spec("rotten_tomatoes").max_new_tokens < imdb.max_new_tokens
    bbc = builtin_spec("bbc_news")
    assert bbc.label_names == ["business", "entertainment", "politics", "sport", "tech"]
    assert bbc.context_header == "News article:" and not bbc.is_binary


def test_spec_override_keeps_the_rest() -> None:
    sst2 = builtin_spec("rotten_tomatoes", name="sst2")
    assert sst2.name == "sst2" and sst2.labels == builtin_spec("rotten_tomatoes").labels


def test_spec_rejects_unknown_placeholders_and_duplicate_labels() -> None:
    with pytest.raises(ValueError, match=r"\{labl\}"):
        TaskSpec(name="t", labels=LABELS, templates={"fewgen": "Write about {labl}"})
    with pytest.raises(ValueError, match="duplicate label"):
        TaskSpec(name="t", labels=[LABELS[0], LABELS[0]])
    with pytest.raises(ValueError):
        TaskSpec(name="t", labels=LABELS[:1])


def test_instruction_errors_name_what_exists() -> None:
    spec = TaskSpec(name="t", labels=LABELS, templates={"fewgen": "Write {label}: {verbalization}"})
    assert spec.instruction("fewgen", "b") == "Write b: about B"
    with pytest.raises(UsageError, match="has: fewgen"):
        spec.instruction("zerogen", "a")
    with pytest.raises(UsageError, match="labels: a, b"):
        spec.instruction("fewgen", "c")


def test_register_task_and_entry_point_style_values(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = TaskSpec(name="mine", labels=[LabelSpec(**LABELS[0]), LabelSpec(**LABELS[1])])
    task = SplitTask(spec, "memory", lambda: {"train": [], "validation": [], "test": []})
    monkeypatch.setattr(TASKS, "_loaded", dict(TASKS._loaded))
    register_task("mine", lambda: task)
    assert get_task("mine") is task and "mine" in list_tasks()
    register_task("mine_instance", task)
    assert get_task("mine_instance") is task
    with pytest.raises(UsageError, match="no split 'dev'"):
        task.load_split("dev")
