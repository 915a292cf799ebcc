"""A Ctrl-C that lands after a command has written its output (issue #35).

It used to kill the process with no message (status -SIGINT): once the interpreter starts tearing
down modules it resets Python's signal handlers to the default. Now an interrupt while exiting says
so in one line (exit 130), and one during the teardown is ignored (the command's exit status).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthrr import cli as cli_module

CORPUS = Path(__file__).parent.parent / "data" / "corpora" / "tiny.jsonl"


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield None
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_main_leaves_the_exiting_handlers_and_the_exit_hook_then_ignores(restore_signals: object) -> None:
    with pytest.raises(SystemExit) as info:
        cli_module.main(["--version"])
    assert info.value.code == 0
    assert signal.getsignal(signal.SIGINT) is cli_module._interrupted_while_exiting
    assert signal.getsignal(signal.SIGTERM) is cli_module._interrupted_while_exiting
    cli_module._ignore_late_signals()
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_the_exit_hook_leaves_a_library_user_s_handlers_alone(restore_signals: object) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cli_module._ignore_late_signals()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.processes
@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05])
def test_an_interrupt_after_the_output_is_never_a_silent_kill(tmp_path: Path, delay: float) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SYNTHRR_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "synthrr", "corpora", "--corpus", str(CORPUS), "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(b"ingest "):  # the last line the command prints
            break
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), (proc.returncode, err)
    if proc.returncode == 130:
        assert b"interrupted" in err and b"Traceback" not in err, err


def _first_swap_interrupted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`signal.signal` runs a pending Ctrl-C before it swaps: the first swap raises KeyboardInterrupt."""
    real, calls = cli_module._install_exit_handlers, []

    def swap() -> None:
        calls.append("swap")
        if len(calls) == 1:
            raise KeyboardInterrupt
        real()

    monkeypatch.setattr(cli_module, "_install_exit_handlers", swap)
    monkeypatch.setattr(cli_module.os, "_exit", lambda code: sys.exit(code))
    return calls


def test_an_interrupt_pending_at_the_swap_after_parsing_says_so(
    restore_signals: object, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    calls = _first_swap_interrupted(monkeypatch)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["--version"])  # answered while parsing: only main's swap runs
    assert info.value.code == 130 and calls == ["swap"]
    err = capfd.readouterr().err
    assert "interrupted while exiting" in err and "Traceback" not in err


def test_an_interrupt_pending_at_the_swap_after_a_command_says_so(
    restore_signals: object, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    calls = _first_swap_interrupted(monkeypatch)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["corpora", "--corpus", str(CORPUS), "--no-progress"])
    assert info.value.code == 130 and calls == ["swap", "swap"]  # the command's swap, then main's
    err = capfd.readouterr().err
    assert "interrupted" in err and "Aborted" not in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGINT) is cli_module._interrupted_while_exiting
