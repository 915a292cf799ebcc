"""Shared fixtures. No test touches the network: sockets to non-loopback addresses are refused."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")):
        return _real_connect(self, address)  # type: ignore[arg-type]
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise ConnectionRefusedError(f"network access blocked in tests (tried {address!r})")


socket.socket.connect = _loopback_only_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def synthrr_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache root for the whole session, so real indexes are built once and reused."""
    return tmp_path_factory.mktemp("synthrr_home")


@pytest.fixture(autouse=True)
def _isolated_home(synthrr_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SYNTHRR_HOME", str(synthrr_home))
    yield


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    """A local Ray instance of 2 CPUs for the tests of one module (skipped without the extra)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


#: fixtures that start a Ray instance: tests using them carry the ``ray`` marker
RAY_FIXTURES = {"ray_local", "ray_pool"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if RAY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ray)
