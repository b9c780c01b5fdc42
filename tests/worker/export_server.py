"""A tiny HTTP server that answers like Label Studio's project and export endpoints, for tests
without a real one.

``GET /api/projects/<id>/`` returns the project (its ``label_config``) and
``GET /api/projects/<id>/export`` its tasks, when the request carries ``Authorization: Token
<token>``; 401 with Label Studio's JSON body otherwise, 404 for unknown projects. Every request
path is recorded so tests can check what the job asked for.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECT_PATH = re.compile(r"^/api/projects/(\d+)/(export)?(?:\?.*)?$")


@dataclass
class ExportServer:
    token: str
    label_config: str
    projects: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                match = PROJECT_PATH.match(self.path)
                if self.headers.get("Authorization") != f"Token {server.token}":
                    self._answer(401, {"detail": "Invalid token."})
                elif match is None or int(match.group(1)) not in server.projects:
                    self._answer(404, {"detail": "Not found."})
                elif match.group(2) == "export":
                    self._answer(200, server.projects[int(match.group(1))])
                else:
                    self._answer(200, {"id": int(match.group(1)), "title": "test",
                                       "label_config": server.label_config})

            def _answer(self, status: int, body: Any) -> None:
                payload = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
