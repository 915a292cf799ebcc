"""Credentials masked in URLs, config mappings and free text (synthrr.core.redact)."""

from __future__ import annotations

import pytest

from synthrr.config import RunConfig
from synthrr.core.redact import expand_env, join_url, redact, redact_url, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://user:pw@host/v1", "https://host/v1"),
        ("https://tok@host/v1", "https://host/v1"),
        ("https://host/v1?key=abc&api-version=2024-06", "https://host/v1?key=***&api-version=2024-06"),
        ("https://host/v1?key=${MY_KEY}", "https://host/v1?key=${MY_KEY}"),
        ("https://host/v1#frag", "https://host/v1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_url_secrets_include_decoded_and_written_forms() -> None:
    found = url_secrets("https://alice:p%40ss@host/v1?key=a%2Bb%3D&api-version=2024-06&x=")
    assert {"alice", "p@ss", "p%40ss", "a+b=", "a%2Bb%3D"} <= set(found) and "2024-06" not in found


def test_join_url_puts_the_path_before_the_query() -> None:
    assert join_url("https://h/v1?k=1", "/models") == "https://h/v1/models?k=1"
    assert join_url("https://h/v1/", "/models") == "https://h/v1/models"


def test_redact_masks_secret_names_and_urls_but_not_their_neighbours() -> None:
    data = {
        "api_key": "sk-123",
        "api_key_env": "OPENAI_API_KEY",
        "max_tokens": 96,
        "token": "${TOKEN}",
        "nested": [{"password": "hunter2", "url": "https://u:p@h/v1"}],
        "plain": "https://h/v1",
    }
    assert redact(data) == {
        "api_key": "***",
        "api_key_env": "OPENAI_API_KEY",
        "max_tokens": 96,
        "token": "${TOKEN}",
        "nested": [{"password": "***", "url": "https://h/v1"}],
        "plain": "https://h/v1",
    }


def test_expand_env_and_scrub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_T_KEY", "s3cret")
    assert expand_env("https://h/v1?key=${SYNTHRR_T_KEY}", "where") == "https://h/v1?key=s3cret"
    monkeypatch.delenv("SYNTHRR_T_KEY")
    with pytest.raises(ValueError, match="where: environment variable SYNTHRR_T_KEY is not set"):
        expand_env("${SYNTHRR_T_KEY}", "where")
    assert scrub("a s3cret and s3cret-long", ["s3cret", "s3cret-long"]) == "a *** and ***"


def test_run_config_writes_and_fingerprints_without_credentials() -> None:
    from synthrr.stages.generate import fingerprint

    def cfg(url: str) -> RunConfig:
        return RunConfig().with_overrides({"llm.backend": "openai", "llm.options": {"base_url": url, "model": "m"}})

    a, b = cfg("https://u:one@h/v1?key=k1"), cfg("https://u:two@h/v1?key=k2")
    assert (
        "one" not in a.to_yaml()
        and "k1" not in a.to_yaml()
        and a.to_dict()["llm"]["options"]["base_url"].endswith("k1")
    )
    assert fingerprint(a) == fingerprint(b)  # a rotated credential keeps its run directory
    assert fingerprint(a) != fingerprint(cfg("https://u:one@other/v1?key=k1"))
