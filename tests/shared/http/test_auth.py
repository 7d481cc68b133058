"""Tokens on every route, through real function apps."""

from tests.functions.conftest import runtime


def test_open_by_default(function_client):
    assert function_client("bugs").get("/api/v1/bugs").status_code == 200


def test_ingest_token_guards_report_only(function_client, with_env):
    with_env(LOGCENTER_INGEST_TOKEN="ingest-secret")
    report = function_client("report")
    r = report.post("/api/v1/logs/report", json=runtime())
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert report.post("/api/v1/logs/report", json=runtime(),
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert report.post("/api/v1/logs/report", json=runtime(),
                       headers={"Authorization": "Bearer ingest-secret"}).status_code == 201
    assert report.post("/api/v1/logs/report", json=runtime(),
                       headers={"X-Log-Center-Token": "ingest-secret"}).status_code == 200
    assert function_client("bugs").get("/api/v1/bugs").status_code == 200  # API token unset: open


def test_api_token_guards_every_other_route_and_names_the_actor(function_client, with_env):
    with_env(LOGCENTER_API_TOKENS="alice=tok-a,agent=tok-b")
    bug_id = function_client("report").post("/api/v1/logs/report", json=runtime()).get_json()["id"]
    bugs, tasks, stats = function_client("bugs"), function_client("tasks"), function_client("stats")
    projects = function_client("projects")
    for client, path in ((bugs, "/api/v1/bugs"), (bugs, f"/api/v1/bugs/{bug_id}"), (projects, "/api/v1/projects"),
                         (tasks, "/api/v1/tasks/pending"), (stats, "/api/v1/dashboard/stats")):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer tok-a"}).status_code == 200
    body = tasks.post(f"/api/v1/tasks/{bug_id}/claim", headers={"Authorization": "bearer tok-b"}).get_json()
    assert body["history"][0]["actor"] == "agent"
    # health and CORS preflight need no token
    assert bugs.get("/_/health").status_code == 200
    assert bugs.options("/api/v1/bugs", headers={"Origin": "http://x"}).status_code == 204


def test_token_is_never_echoed(function_client, with_env):
    with_env(LOGCENTER_API_TOKEN="tok-secret-123")
    r = function_client("bugs").get("/api/v1/bugs", headers={"Authorization": "Bearer tok-secret-12"})
    assert "tok-secret" not in r.get_data(as_text=True)
