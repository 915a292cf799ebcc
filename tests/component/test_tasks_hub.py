"""Hub tasks: listed without loading; offline they fail with one clear DataUnavailableError.

The conftest sets HF_DATASETS_OFFLINE=1 and refuses non-loopback sockets, so the failure path
runs for real through the ``datasets`` library.
"""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.errors import DataUnavailableError, MissingExtraError
from synthrr.tasks import get_task, hub

HUB_TASKS = {"ag_news": "fancyzhx/ag_news", "sst2": "stanfordnlp/sst2", "imdb_hub": "stanfordnlp/imdb"}


@pytest.mark.parametrize("name", list(HUB_TASKS))
def test_offline_load_fails_with_one_clear_error(name: str) -> None:
    task = get_task(name)
    assert task.online and "train" in task.split_names()
    with pytest.raises(DataUnavailableError) as info:
        task.load_split("train")
    msg = str(info.value)
    assert HUB_TASKS[name] in msg
    assert "needs network access to the Hugging Face Hub" in msg
    assert "imdb, rotten_tomatoes, bbc_news" in msg
    assert info.value.exit_code == 2


def test_hub_specs() -> None:
    ag = get_task("ag_news").spec
    assert ag.label_names == ["world", "sports", "business", "sci_tech"] and ag.kind == "topic"
    sst2 = get_task("sst2")
    assert sst2.spec.label_names == ["negative", "positive"] and sst2.split_names() == ["train", "test"]
    assert dict(hub.SOURCES["sst2"].splits)["test"] == "validation"
    assert get_task("imdb_hub").spec.templates == get_task("imdb").spec.templates


def test_cli_detail_of_a_hub_task_fails_cleanly_offline() -> None:
    result = CliRunner().invoke(cli, ["tasks", "--task", "ag_news"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Hugging Face Hub" in result.stderr


def test_missing_datasets_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` raise ImportError
    with pytest.raises(MissingExtraError, match=r"synthrr\[datasets\]"):
        get_task("sst2").load_split("test")


def test_listing_never_loads_hub_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import synthrr.cli.tasks as tasks_command

    def boom(*args: object) -> None:
        raise AssertionError("hub data must not be loaded by the listing")

    monkeypatch.setattr(hub, "_load_hub_split", boom)
    monkeypatch.setattr(tasks_command, "list_tasks", lambda: sorted(HUB_TASKS))
    result = CliRunner().invoke(cli, ["tasks", "--json"])
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.output)}
    assert set(infos) == set(HUB_TASKS)
    assert all(i["sizes"] is None and i["online"] for i in infos.values())
    table = CliRunner().invoke(cli, ["tasks"]).output
    assert "online" in table and "sst2" in table
