from __future__ import annotations

import json

from synthrr.manifest import LabelQuota, RunManifest


def _manifest() -> RunManifest:
    return RunManifest(
        status="incomplete",
        stop_reason="max_prompts",
        fingerprint="abc123",
        task="imdb",
        method="synthesizrr",
        prompt_form="chat",
        model={"backend": "fake", "identity": "fake:1", "label": "fake"},
        counts={"prompts": 9, "kept": 7},
        drops={"too_short": 2},
        per_label={"neg": LabelQuota(4, 3, widened_prompts=2), "pos": LabelQuota(4, 4)},
        llm={"calls": 9},
        executor={"name": "local", "workers": []},
        timings_s={"total": 1.5},
    )


def test_typed_fields_and_the_shortfall() -> None:
    m = _manifest()
    assert m.kept == 7 and m.shortfall() == {"neg": 1} and m.per_label["neg"].widened_prompts == 2
    assert "python" in m.versions


def test_reads_as_its_json_form() -> None:
    m = _manifest()
    as_json = json.loads(json.dumps(dict(m)))
    assert as_json == json.loads(json.dumps(m.to_dict()))
    assert m["per_label"]["neg"] == {"target": 4, "kept": 3, "widened_prompts": 2}
    assert m.get("stop_reason") == "max_prompts" and m.get("nope") is None and "counts" in m
    assert set(m) == set(as_json)
