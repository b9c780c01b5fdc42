"""A tiny HTTP server that answers like Label Studio's project and export endpoints, for tests
without a real one.

``GET /api/projects/<id>/`` returns the project (its ``label_config``),
``GET /api/projects/<id>/export`` its annotated tasks, ``GET /api/tasks/?project=<id>`` (one
page, then 404 as Label Studio does) those plus the unlabeled ones, and ``POST /api/predictions/``
stores a prediction; all only with ``Authorization: Token <token>`` (else 401 with Label Studio's
JSON body), 404 for unknown projects. Request paths and stored predictions are recorded so tests
can check what the job did. ``failures`` makes one kind of request (``project``, ``export``,
``tasks`` or ``predictions``) answer a given status and body instead (bytes are sent as they are),
so tests can see how the job meets a broken Label Studio.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

PROJECT_PATH = re.compile(r"^/api/projects/(\d+)/(export)?(?:\?.*)?$")
TASKS_PATH = re.compile(r"^/api/tasks/\?(.*)$")


@dataclass
class ExportServer:
    token: str
    label_config: str
    projects: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    unlabeled: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failures: dict[str, tuple[int, Any]] = field(default_factory=dict)
    url: str = ""

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                match = PROJECT_PATH.match(self.path)
                tasks = TASKS_PATH.match(self.path)
                kind = "tasks" if tasks else "export" if match and match.group(2) else "project"
                if self.headers.get("Authorization") != f"Token {server.token}":
                    self._answer(401, {"detail": "Invalid token."})
                elif kind in server.failures:
                    self._answer(*server.failures[kind])
                elif tasks is not None:
                    self._answer_tasks(parse_qs(tasks.group(1)))
                elif match is None or int(match.group(1)) not in server.projects:
                    self._answer(404, {"detail": "Not found."})
                elif match.group(2) == "export":
                    self._answer(200, server.projects[int(match.group(1))])
                else:
                    self._answer(200, {"id": int(match.group(1)), "title": "test",
                                       "label_config": server.label_config})

            def do_POST(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.headers.get("Authorization") != f"Token {server.token}":
                    self._answer(401, {"detail": "Invalid token."})
                elif self.path != "/api/predictions/":
                    self._answer(404, {"detail": "Not found."})
                elif "predictions" in server.failures:
                    self._answer(*server.failures["predictions"])
                else:
                    server.predictions.append(body)
                    self._answer(201, {"id": len(server.predictions), **body})

            def _answer_tasks(self, query: dict[str, list[str]]) -> None:
                project = int(query["project"][0])
                if query.get("page", ["1"])[0] != "1" or project not in server.projects:
                    self._answer(404, {"detail": "Invalid page."})
                    return
                labeled = [{"id": task["id"], "data": task["data"], "is_labeled": True,
                            "total_annotations": len(task.get("annotations", []))}
                           for task in server.projects[project]]
                unlabeled = [{**task, "is_labeled": False, "total_annotations": 0}
                             for task in server.unlabeled.get(project, [])]
                listed = labeled + unlabeled
                self._answer(200, {"tasks": listed, "total": len(listed), "total_annotations": 0,
                                   "total_predictions": 0})

            def _answer(self, status: int, body: Any) -> None:
                payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
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
