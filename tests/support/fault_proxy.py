"""A loopback HTTP proxy that injects faults, for testing retries against real servers.

Each incoming request consumes the next :class:`Fault` of the script (then ``default``):
forward it to ``upstream``, answer with a canned status/body, drop the connection without
an answer, or hang past the client's timeout. Every request is recorded in ``attempts``.
With ``upstream=None`` it is a scripted stub server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading loopback server that does not print a traceback when a client goes away
    mid-connection (a reset keep-alive socket, a dropped or timed-out request): the tests cause
    those on purpose; any other handler error is still reported."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, aborted, broken pipe
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class Fault:
    kind: Literal["forward", "reply", "drop", "hang"]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0


def forward() -> Fault:
    return Fault("forward")


def reply(status: int = 200, body: Any = b"", headers: dict[str, str] | None = None) -> Fault:
    """A canned answer; a dict/list body is sent as JSON."""
    hdrs = dict(headers or {})
    if isinstance(body, dict | list):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    hdrs.setdefault("Content-Type", "text/plain")
    return Fault("reply", status=status, headers=hdrs, body=body)


def status(code: int, retry_after: str | None = None, message: str = "injected fault") -> Fault:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return reply(code, {"error": {"message": message, "code": code}}, headers)


def drop() -> Fault:
    """Read the request, then close the connection without answering."""
    return Fault("drop")


def hang(seconds: float) -> Fault:
    """Read the request, wait ``seconds`` (past the client's timeout), then close."""
    return Fault("hang", seconds=seconds)


@dataclass(frozen=True)
class Attempt:
    method: str
    path: str
    authorization: str | None
    body: Any  # parsed JSON, or None


class FaultProxy:
    """``with FaultProxy(upstream, [status(429, "0"), drop()]) as proxy: ... proxy.url``."""

    def __init__(self, upstream: str | None, script: list[Fault] | None = None, default: Fault | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self._script: deque[Fault] = deque(script or [])
        self.default = default or (forward() if upstream else status(503, message="no scripted answer"))
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=120)
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *faults: Fault) -> None:
        """Replace the remaining script and forget earlier attempts."""
        with self._lock:
            self._script = deque(faults)
            self.attempts.clear()

    def _next(self, attempt: Attempt) -> Fault:
        with self._lock:
            self.attempts.append(attempt)
            return self._script.popleft() if self._script else self.default

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        proxy = self.owner
        fault = proxy._next(Attempt(self.command, self.path, self.headers.get("Authorization"), parsed))
        if fault.kind in ("drop", "hang"):
            if fault.kind == "hang":
                time.sleep(fault.seconds)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault.kind == "forward":
            assert proxy.upstream is not None, "forward() needs an upstream"
            headers = {k: v for k in ("Authorization", "Content-Type", "Accept") if (v := self.headers.get(k))}
            r = proxy._client.request(self.command, proxy.upstream + self.path, content=raw, headers=headers)
            code, out_headers, body = r.status_code, {}, r.content
            for k in ("Content-Type", "Retry-After"):
                if k in r.headers:
                    out_headers[k] = r.headers[k]
        else:
            code, out_headers, body = fault.status, fault.headers, fault.body
        self.send_response(code)
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
