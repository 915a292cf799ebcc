"""No credential is written or printed: secrets planted in every place synthrr accepts them (URL
userinfo, URL query, the API-key environment variable, a ``${NAME}`` placeholder) are absent from
every file of the run directory and of SYNTHRR_HOME (cache included), and from the CLI's output,
on success and on a server error that echoes them; the server still receives them."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.fault_proxy import Fault, FaultProxy, reply, status
from synthrr.cli import cli

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")
PASSWORD, QUERY_KEY, ENV_KEY, PLACEHOLDER_KEY = "pw-S3CRET-1", "qk-S3CRET-2", "env-S3CRET-3", "ph-S3CRET-4"
SECRETS = (PASSWORD, QUERY_KEY, ENV_KEY, PLACEHOLDER_KEY)
TEXTS = (
    "My invoice shows a double charge for March, please refund the second payment.",
    "The app crashes every time I open the settings page on my phone.",
    "I was billed twice this month and need the extra charge reversed.",
    "After the update the login button does nothing and I cannot sign in.",
)


def _answers() -> list[Fault]:
    """Distinct chat answers (a constant one would be dropped as a duplicate)."""
    out = []
    for i, text in zip(range(40), itertools.cycle(TEXTS), strict=False):
        body = {
            "choices": [{"index": 0, "message": {"content": f"{text} Ticket {i}."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12},
        }
        out.append(reply(200, body))
    return out


def _leaks(tmp_path: Path, output: str) -> list[str]:
    found = [f"output: {s}" for s in SECRETS if s in output]
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            found += [f"{f}: {s}" for s in SECRETS if s.encode() in data]
    return found


def _generate(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SYNTHRR_TEST_KEY", ENV_KEY)
    monkeypatch.setenv("SYNTHRR_QUERY_KEY", PLACEHOLDER_KEY)
    host = url.removeprefix("http://")
    base = f"http://user:{PASSWORD}@{host}/v1?key={QUERY_KEY}&token=${{SYNTHRR_QUERY_KEY}}&api-version=2024-06"
    args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "openai", "--per-label", "3", "--n", "4"]
    args += ["--out", str(tmp_path / "runs"), "--no-progress"]
    args += ["--set", f"llm.options.base_url={base}", "--set", "llm.options.model=m"]
    args += ["--set", "llm.options.api_key_env=SYNTHRR_TEST_KEY", "--set", "llm.options.max_retries=0"]
    res = CliRunner().invoke(cli, args)
    return res.exit_code, res.output


def test_secrets_reach_the_server_and_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultProxy(None, _answers()) as proxy:
        code, output = _generate(tmp_path, proxy.url, monkeypatch)
        attempts = list(proxy.attempts)
    assert code in (0, 4), output  # 4: a quota the canned answers could not meet
    assert attempts, output
    first = attempts[0]
    # the path goes before the query, which arrives whole, placeholder filled in
    assert first.path.startswith("/v1/chat/completions?")
    assert f"key={QUERY_KEY}" in first.path and f"token={PLACEHOLDER_KEY}" in first.path
    # URL userinfo becomes Basic auth (and takes the place of the Bearer key)
    assert first.authorization == "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    assert _leaks(tmp_path, output) == []
    run = next((tmp_path / "runs").iterdir())
    config = (run / "config.yaml").read_text(encoding="utf-8")
    assert "key=***" in config and "token=${SYNTHRR_QUERY_KEY}" in config and "api-version=2024-06" in config


def test_a_server_error_that_echoes_a_secret_is_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    echo = status(401, message=f"invalid key {QUERY_KEY} / {ENV_KEY} / {PLACEHOLDER_KEY} for user:{PASSWORD}")
    with FaultProxy(None, [], default=echo) as proxy:
        code, output = _generate(tmp_path, proxy.url, monkeypatch)
    assert code != 0 and "Traceback" not in output
    assert "***" in output and _leaks(tmp_path, output) == []


def test_an_unset_placeholder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTHRR_UNSET_KEY", raising=False)
    args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "openai", "--n", "2", "--no-progress"]
    args += ["--out", str(tmp_path / "runs"), "--set", "llm.options.model=m"]
    args += ["--set", "llm.options.base_url=http://127.0.0.1:9/v1?key=${SYNTHRR_UNSET_KEY}"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "llm.options.base_url" in res.output and "SYNTHRR_UNSET_KEY is not set" in res.output
