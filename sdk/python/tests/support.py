"""What the suites share: the gateway under test (from the environment), clients of it, and
two small HTTP servers on 127.0.0.1 — a pass-through proxy that can fake faults, and a webhook
receiver that keeps each delivery's raw bytes.

The gateway comes from MANTIS_BASE_URL, MANTIS_API_KEY (an owner key) and
MANTIS_ORGANIZATION_ID; test/integration/sdk-python.spec.ts starts one and sets them.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from mantisnxt import MantisClient

ENV = ("MANTIS_BASE_URL", "MANTIS_API_KEY", "MANTIS_ORGANIZATION_ID")


def gateway() -> dict[str, str]:
    """The gateway's URL, owner key and organization id; fails loudly when they are not set."""
    missing = [name for name in ENV if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"set {', '.join(missing)} to a running gateway (see sdk/python/README)")
    return {name: os.environ[name] for name in ENV}


def client(**options: Any) -> MantisClient:
    """A client of the organization under test; ``options`` override the defaults."""
    env = gateway()
    settings: dict[str, Any] = {
        "api_key": env["MANTIS_API_KEY"],
        "organization_id": env["MANTIS_ORGANIZATION_ID"],
        "base_url": env["MANTIS_BASE_URL"],
        **options,
    }
    return MantisClient(**settings)


def unique(prefix: str) -> str:
    return f"{prefix} {time.time_ns()}"


def wait_until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class _Server:
    """A ThreadingHTTPServer on a free port of 127.0.0.1, served from a daemon thread."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_any(self) -> None:
                handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_any

            def log_message(self, *args: Any) -> None:
                pass  # Tests print what they assert, not every request.

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    return request.rfile.read(int(request.headers.get("content-length") or 0))


def _send(
    request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name, value)
    request.send_header("content-length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    #: The gateway's status and headers, when the request was forwarded.
    upstream: tuple[int, dict[str, str]] | None = None


@dataclass
class Fault:
    """What the proxy answers instead of the gateway; ``forward`` still sends the request on."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    forward: bool = False


#: Headers about the connection and the body's framing: the proxy's own, never copied.
_FRAMING = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy(_Server):
    """Forwards every request to ``target`` unless ``fault(seen)`` returns a Fault."""

    def __init__(self, target: str) -> None:
        self.target = urlsplit(target)
        self.seen: list[Seen] = []
        self.fault: Callable[[Seen], Fault | None] = lambda seen: None
        super().__init__(self._handle)

    def _forward(self, seen: Seen, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=30)
        try:
            headers = {k: v for k, v in seen.headers.items() if k not in _FRAMING}
            connection.request(seen.method, seen.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            kept = {k.lower(): v for k, v in answer.getheaders() if k.lower() not in _FRAMING}
            seen.upstream = (answer.status, kept)
            return answer.status, kept, answer.read()
        finally:
            connection.close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        seen = Seen(request.command, request.path, headers)
        self.seen.append(seen)
        body = _read_body(request)
        fault = self.fault(seen)
        if fault is None:
            _send(request, *self._forward(seen, body))
            return
        if fault.forward:
            self._forward(seen, body)
        error = {"code": "SERVICE_UNAVAILABLE", "message": "proxy fault", "details": []}
        payload = json.dumps({"success": False, "error": error}).encode()
        _send(request, fault.status, {"content-type": "application/json", **fault.headers}, payload)


@dataclass
class Delivery:
    headers: dict[str, str]
    raw: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.raw)


class Receiver(_Server):
    """A webhook endpoint that answers 200 and keeps every delivery as it arrived."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        super().__init__(self._handle)
        self.url += "/hook"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.deliveries.append(Delivery(headers, _read_body(request)))
        _send(request, 200, {}, b"")

    def delivery_about(self, object_id: str) -> Delivery:
        """The first delivery whose event is about ``object_id``, waiting for it."""
        about: list[Delivery] = []

        def arrived() -> bool:
            about[:] = [
                d for d in self.deliveries if d.event["data"]["object"].get("id") == object_id
            ]
            return bool(about)

        wait_until(arrived, f"a delivery about {object_id}")
        return about[0]
