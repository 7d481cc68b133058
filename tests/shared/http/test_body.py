"""Body limits, through a real function app."""

from tests.functions.conftest import runtime


def test_body_limit_is_configurable(function_client, with_env):
    with_env(LOGCENTER_MAX_BODY_BYTES="2000")
    report = function_client("report")
    r = report.post("/api/v1/logs/report", json={**runtime(), "context": {"x": "y" * 3000}})
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload_too_large"
    assert report.post("/api/v1/logs/report", json=runtime()).status_code == 201
