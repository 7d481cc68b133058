"""CORS answers, through a real function app."""


def test_cors(function_client, with_env):
    bugs = function_client("bugs")
    pre = bugs.options("/api/v1/bugs/1/status", headers={"Origin": "http://dash", "Access-Control-Request-Method": "PATCH"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in pre.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
    with_env(LOGCENTER_CORS_ORIGINS="https://dash.example")
    bugs = function_client("bugs")
    ok = bugs.get("/api/v1/bugs", headers={"Origin": "https://dash.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    other = bugs.get("/api/v1/bugs", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
