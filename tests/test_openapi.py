"""Real responses from a live gateway, checked against openapi.yaml (every route, errors too)."""

from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from tests.functions.conftest import cicd, deployment, runtime
from tests.support.receiver import Receiver

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
SPEC = OpenAPI.from_file_path(str(SPEC_PATH))


@pytest.fixture
def api(live_gateway):
    gw = live_gateway()
    session = requests.Session()
    checked = []

    def call(method: str, path: str, expect: int, **kwargs) -> requests.Response:
        response = session.request(method, gw.url + path, timeout=10, **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        SPEC.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
        checked.append((method, path.split("?")[0], expect))
        return response

    call.checked = checked
    return call


def test_every_route_matches_the_spec(api):
    rid = api("POST", "/api/v1/logs/report", 201, json=runtime()).json()["id"]
    api("POST", "/api/v1/logs/report", 200, json=runtime(message="x" * 20_000))
    cid = api("POST", "/api/v1/logs/report", 201, json=cicd()).json()["id"]
    api("POST", "/api/v1/logs/report", 201, json=deployment())
    api("POST", "/api/v1/logs/report", 422, json={"project_id": "p"})
    api("POST", "/api/v1/logs/report", 400, data="{", headers={"Content-Type": "application/json"})
    api("POST", "/api/v1/logs/report", 415, data="x", headers={"Content-Type": "text/plain"})
    api("POST", "/api/v1/logs/report", 413, json={**runtime(), "context": {"x": "y" * (1024 * 1024)}})

    api("GET", "/api/v1/bugs", 200)
    api("GET", "/api/v1/bugs?source=cicd,deployment&status=NEW&level=ERROR&q=boom&page=1&page_size=5&sort=-id", 200)
    api("GET", "/api/v1/bugs?page_size=500", 422)
    api("GET", f"/api/v1/bugs/{rid}", 200)
    api("GET", f"/api/v1/bugs/{rid}/occurrences?page=1&page_size=5", 200)
    api("GET", "/api/v1/bugs/987654/occurrences", 404)
    api("POST", "/api/v1/logs/report", 201, json=runtime(line=7, event_id="0" * 32))
    api("POST", "/api/v1/logs/report", 200, json=runtime(line=7, event_id="0" * 32))
    api("GET", "/api/v1/bugs/987654", 404)
    api("PATCH", f"/api/v1/bugs/{rid}/status", 200, json={"status": "PENDING_FIX", "note": "go"})
    api("PATCH", f"/api/v1/bugs/{rid}/status", 409, json={"status": "FIXING"})
    api("PATCH", f"/api/v1/bugs/{cid}/status", 422, json={"status": "PENDING_FIX"})
    api("GET", "/api/v1/projects", 200)
    api("GET", "/api/v1/projects?source=runtime", 200)

    api("GET", "/api/v1/tasks/pending?source=runtime&limit=5", 200)
    api("GET", "/api/v1/tasks/pending?limit=0", 422)
    api("POST", f"/api/v1/tasks/{rid}/claim", 200)
    api("POST", f"/api/v1/tasks/{rid}/claim", 409)
    api("POST", "/api/v1/tasks/987654/claim", 404)

    api("GET", "/api/v1/dashboard/stats", 200)
    api("GET", "/api/v1/dashboard/stats?source=runtime&project_id=rtc_backend", 200)
    api("GET", "/api/v1/dashboard/stats?source=x", 422)
    api("POST", "/api/v1/retention/run?dry_run=true", 200)
    api("POST", "/api/v1/retention/run", 200)
    api("POST", "/api/v1/retention/run?dry_run=perhaps", 422)
    api("GET", "/api/v1/retention", 200)
    with Receiver([(200, {"errcode": 0, "errmsg": "ok"}, 0)]) as rx:
        rule = api("POST", "/api/v1/alerts", 201, json={
            "name": "ops", "triggers": {"new_bug": True, "regression": False, "spike": {"count": 10, "minutes": 5}},
            "channel": {"type": "dingtalk", "url": rx.url + "/robot/send?access_token=t", "secret": "SEC"}}).json()
        api("POST", "/api/v1/alerts", 422, json={"name": "x", "channel": {"type": "webhook", "url": "ftp://x"}})
        api("GET", "/api/v1/alerts", 200)
        api("GET", f"/api/v1/alerts/{rule['id']}", 200)
        api("GET", "/api/v1/alerts/987654", 404)
        api("PATCH", f"/api/v1/alerts/{rule['id']}", 200, json={"throttle_minutes": 5})
        api("PATCH", f"/api/v1/alerts/{rule['id']}", 422, json={"min_level": "LOUD"})
        api("POST", f"/api/v1/alerts/{rule['id']}/test", 200)
        api("POST", "/api/v1/logs/report", 201, json=runtime(line=4242))
        rx.wait_for(2)
        api("GET", "/api/v1/alerts/deliveries", 200)
        api("GET", f"/api/v1/alerts/deliveries?rule_id={rule['id']}&status=sent&limit=5", 200)
        api("GET", "/api/v1/alerts/deliveries?status=lost", 422)
        api("DELETE", f"/api/v1/alerts/{rule['id']}", 200)
    api("POST", "/api/v1/deploys", 201, json={"project_id": "rtc_backend", "environment": "production",
                                             "version": "1.4.2", "commit_sha": "9f2c1e0b7d3a",
                                             "url": "https://ci.example.com/runs/1", "actor": "alice"})
    api("POST", "/api/v1/deploys", 422, json={"project_id": "rtc_backend", "environment": "production"})
    api("POST", "/api/v1/logs/report", 201, json=runtime(line=99, version="1.4.2", environment="production"))
    api("GET", "/api/v1/releases?project_id=rtc_backend&environment=production&page=1&page_size=5", 200)
    api("GET", "/api/v1/releases?page_size=0", 422)
    api("GET", "/api/v1/releases/rtc_backend/1.4.2?environment=production", 200)
    api("GET", "/api/v1/releases/rtc_backend/9f2c1e0", 200)
    api("GET", "/api/v1/releases/rtc_backend/0.0.0", 404)
    api("GET", "/_/health", 200)

    shop = api("POST", "/api/v1/projects", 201, json={"project_id": "shop", "repository": "team/shop"}).json()
    api("POST", "/api/v1/projects", 200, json={"project_id": "shop"})
    api("POST", "/api/v1/projects", 422, json={"project_id": "no spaces"})
    api("GET", "/api/v1/projects/shop", 200)
    api("GET", "/api/v1/projects/rtc_backend", 200)
    api("GET", "/api/v1/projects/nobody", 404)
    shop = api("POST", "/api/v1/projects/shop/rotate-key", 200).json()
    api("POST", "/api/v1/projects/nobody/rotate-key", 404)
    envelope = b'{}\n{"type":"event"}\n{"message":"hi"}\n'
    sentry_path = f"/api/{shop['sentry_id']}"
    headers = {"Content-Type": "application/x-sentry-envelope"}
    api("POST", f"{sentry_path}/envelope/?sentry_key={shop['public_key']}", 200, data=envelope, headers=headers)
    api("POST", f"{sentry_path}/envelope/?sentry_key={shop['public_key']}", 400, data=b"nope", headers=headers)
    api("POST", f"{sentry_path}/envelope/", 401, data=envelope, headers=headers)
    api("POST", f"{sentry_path}/envelope/?sentry_key={'0' * 32}", 403, data=envelope, headers=headers)
    api("OPTIONS", f"{sentry_path}/envelope/", 204, headers={"Origin": "https://app.example",
                                                             "Access-Control-Request-Method": "POST"})
    api("POST", f"{sentry_path}/store/?sentry_key={shop['public_key']}", 200, json={"message": "hi"})
    api("OPTIONS", f"{sentry_path}/store/", 204)

    operations = {(m, p) for m, p, _ in api.checked}
    assert len(operations) >= 10


def test_spec_lists_every_route_the_functions_serve():
    paths = set(yaml.safe_load(SPEC_PATH.read_text())["paths"])
    assert paths >= {"/api/v1/logs/report", "/api/v1/bugs", "/api/v1/bugs/{id}", "/api/v1/bugs/{id}/status", "/api/v1/bugs/{id}/occurrences",
                     "/api/v1/projects", "/api/v1/tasks/pending", "/api/v1/tasks/{id}/claim",
                     "/api/v1/dashboard/stats", "/api/v1/retention", "/api/v1/retention/run",
                     "/api/v1/alerts", "/api/v1/alerts/{id}", "/api/v1/alerts/{id}/test",
                     "/api/v1/alerts/deliveries",
                     "/api/v1/projects/{project_id}", "/api/v1/projects/{project_id}/rotate-key",
                     "/api/{sentry_id}/envelope/", "/api/{sentry_id}/store/",
                     "/api/v1/releases", "/api/v1/releases/{project_id}/{version}", "/api/v1/deploys"}


def test_the_check_catches_a_response_that_breaks_the_spec(live_gateway):
    gw = live_gateway()
    response = requests.get(gw.url + "/api/v1/dashboard/stats", timeout=10)
    response._content = b'{"total_bugs": "many"}'
    with pytest.raises(Exception):
        SPEC.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
