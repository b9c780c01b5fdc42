"""A transparent HTTP proxy between Label Studio and the backend that records every call.

Label Studio keeps no record of which webhooks it sent or how fast they were answered, and the
backend's access log holds neither the webhook's action nor the answer time. The proxy forwards
each request unchanged to the real backend and notes the path, the JSON `action`, the status, the
answer body and the wall time the backend took, as Label Studio experiences it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

FORWARD_TIMEOUT_S = 300.0
# Set again by whoever sends the next hop (requests towards the backend, this proxy towards LS).
NOT_FORWARDED = {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    action: str | None
    status: int
    seconds: float
    answer: dict | list | None


class RecordingProxy:
    """`url` forwards to `target`; `calls` lists what went through, in arrival order."""

    def __init__(self, target: str):
        self.target = target.rstrip("/")
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-proxy", daemon=True)

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def webhooks(self, action: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == "/webhook" and call.action == action]

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {key: value for key, value in self.headers.items() if key.lower() not in NOT_FORWARDED}
                started = time.monotonic()
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=FORWARD_TIMEOUT_S
                )
                seconds = time.monotonic() - started
                proxy.record(Call(self.command, self.path.split("?")[0], action_of(body), answer.status_code,
                                  seconds, json_or_none(answer.content)))
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in NOT_FORWARDED:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args) -> None:
                """Quiet: the recorded calls are the log."""

        return Forward


def json_or_none(raw: bytes) -> dict | list | None:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def action_of(body: bytes) -> str | None:
    payload = json_or_none(body)
    return payload.get("action") if isinstance(payload, dict) else None
