"""Issue 22 item 7: B500, the catch-all for what fails unexpectedly inside a request, through the
app's test client: a 500 in the one JSON error shape with the exception's type and text and a
hint, no traceback in the answer, and the request and traceback in the backend log."""

import logging

from retraining.registry import ModelRegistry


def test_b500_unexpected_failure_is_answered_in_the_error_shape_and_logged(client, monkeypatch, caplog):
    def unreadable(self):
        raise PermissionError(13, "Permission denied", "/models/3")

    monkeypatch.setattr(ModelRegistry, "projects", unreadable)

    with caplog.at_level(logging.ERROR):
        response = client.get("/versions")

    assert response.status_code == 500
    assert response.get_json() == {"error": {
        "code": "B500",
        "message": "internal error: PermissionError: [Errno 13] Permission denied: '/models/3'",
        "hint": "see the backend log",
    }}
    assert "Traceback" not in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.getMessage() == "GET /versions failed"]
    assert record.exc_info is not None and record.exc_info[0] is PermissionError
