"""Driver errors that escape SQLAlchemy unwrapped are a 503, not a 500.

Found by the database-restart test: when a pooled connection fails its pre-ping, the pool
reconnects on the spot, and a failure of that reconnect reaches the function as the driver
raised it (pg8000's InterfaceError, or a bare ConnectionResetError from its socket).
"""

from __future__ import annotations

import flask
import pg8000.exceptions
import pytest

from shared.http.router import Router


def _raise(exc: Exception):
    router = Router("t", ready=lambda: None)

    @router.route("GET", "/x")
    def handler(call):  # noqa: ANN001, ANN202
        raise exc

    app = flask.Flask("t")
    app.add_url_rule("/<path:p>", view_func=lambda p: router.dispatch(flask.request))
    return app.test_client().get("/x")


@pytest.mark.parametrize("exc", [ConnectionResetError(104, "Connection reset by peer"),
                                 BrokenPipeError(32, "Broken pipe"), ConnectionRefusedError(111, "refused"),
                                 pg8000.exceptions.InterfaceError("network error")],
                         ids=lambda e: type(e).__name__)
def test_raw_connection_failures_are_503_with_retry_after(exc):
    r = _raise(exc)
    assert r.status_code == 503
    assert r.headers["Retry-After"].isdigit()
    assert r.get_json()["error"]["code"] == "service_unavailable"


@pytest.mark.parametrize("exc", [ValueError("x"), OSError(2, "No such file"), pg8000.exceptions.DatabaseError("x")],
                         ids=lambda e: type(e).__name__)
def test_other_errors_stay_internal_errors(exc):
    r = _raise(exc)
    assert r.status_code == 500
    assert r.get_json()["error"]["code"] == "internal_error"
