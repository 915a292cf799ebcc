"""The openai backend against a loopback server that answers 429 whenever more than 2 requests are
in flight (a provider's concurrency limit): the adaptive limit backs off to what the server takes and
the batch finishes; a fixed limit exhausts its retries. Per-minute limits space requests out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest

from support.fault_proxy import QuietHTTPServer
from synthrr.core.errors import BackendError
from synthrr.llm.backends.openai.backend import OpenAIBackend
from synthrr.llm.base import LLMRequest, Sampling

ANSWER = json.dumps(
    {"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}],
     "usage": {"prompt_tokens": 3, "completion_tokens": 1}}
).encode()  # fmt: skip


@contextmanager
def limited_server(max_in_flight: int) -> Iterator[tuple[str, dict[str, int]]]:
    seen = {"in_flight": 0, "peak": 0, "throttled": 0, "served": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                seen["in_flight"] += 1
                busy = seen["in_flight"] > max_in_flight
                seen["peak"] = max(seen["peak"], seen["in_flight"])
            try:
                time.sleep(0.05)
                code, body = (429, b'{"error": {"message": "slow down"}}') if busy else (200, ANSWER)
                with lock:
                    seen["throttled" if busy else "served"] += 1
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                with lock:
                    seen["in_flight"] -= 1

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def _backend(url: str, **opts: object) -> OpenAIBackend:
    base = {"base_url": url, "model": "m", "max_concurrency": 8, "backoff_base": 0.01, "backoff_max": 0.05}
    return OpenAIBackend.from_options(base | {"api_key_env": "SYNTHRR_NO_KEY"} | opts)  # type: ignore[return-value]


REQS = [
    LLMRequest(messages=({"role": "user", "content": f"q{i}"},), sampling=Sampling(max_tokens=4)) for i in range(24)
]


def test_adaptive_concurrency_settles_under_the_servers_limit() -> None:
    with limited_server(2) as (url, seen):
        be = _backend(url, max_retries=8)
        answers = list(be.generate(REQS))
        be.close()
    assert len(answers) == 24 and seen["served"] == 24
    t = be.throttling
    assert t["throttles"] == seen["throttled"] > 0 and t["lowest_concurrency_limit"] <= 2


def test_a_fixed_concurrency_runs_out_of_retries() -> None:
    with limited_server(2) as (url, _), pytest.raises(BackendError, match="429"):
        be = _backend(url, max_retries=1, adaptive_concurrency=False)
        try:
            list(be.generate(REQS))
        finally:
            be.close()


def test_requests_per_minute_spaces_requests_out() -> None:
    with limited_server(8) as (url, seen):
        be = _backend(url, requests_per_minute=300)  # burst of 50, then 5 per second
        started = time.monotonic()
        list(be.generate([*REQS, *REQS, *REQS[:7]]))  # 55 requests
        elapsed = time.monotonic() - started
        be.close()
    # by time t at most 50 + 5 t requests are admitted, so 55 need t >= 1 s (a guarantee, not a speed)
    assert seen["served"] == 55 and elapsed >= 0.99 and be.throttling["rate_wait_s"] > 0
