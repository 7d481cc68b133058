"""CORS answers, through a real function app and the live gateway (issue 11, item 8): with no
LOGCENTER_CORS_ORIGINS no other origin may read or change anything; opening it up is explicit."""

from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[3]
EVIL = "https://evil.example"


def _no_cors(response) -> None:
    assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")], \
        dict(response.headers)


def test_default_is_same_origin_only(function_client):
    bugs = function_client("bugs")
    _no_cors(bugs.get("/api/v1/bugs", headers={"Origin": EVIL}))
    pre = bugs.options("/api/v1/bugs/1/status", headers={"Origin": EVIL, "Access-Control-Request-Method": "PATCH"})
    _no_cors(pre)
    report = function_client("report")
    pre = report.options("/api/v1/logs/report", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST",
                                                         "Access-Control-Request-Headers": "content-type"})
    _no_cors(pre)


def test_default_on_the_live_gateway(live_gateway, db_url):
    gw = live_gateway(database_url=db_url)
    listed = requests.get(f"{gw.url}/api/v1/bugs", headers={"Origin": EVIL}, timeout=10)
    assert listed.status_code == 200
    _no_cors(listed)
    pre = requests.options(f"{gw.url}/api/v1/bugs/1/status", timeout=10,
                           headers={"Origin": EVIL, "Access-Control-Request-Method": "PATCH"})
    _no_cors(pre)


def test_named_origins_and_explicit_star(function_client, with_env):
    with_env(LOGCENTER_CORS_ORIGINS="https://dash.example, https://other.example")
    bugs = function_client("bugs")
    ok = bugs.get("/api/v1/bugs", headers={"Origin": "https://dash.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert ok.headers["Vary"] == "Origin"
    pre = bugs.options("/api/v1/bugs/1/status",
                       headers={"Origin": "https://other.example", "Access-Control-Request-Method": "PATCH"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://other.example"
    assert "PATCH" in pre.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
    _no_cors(bugs.get("/api/v1/bugs", headers={"Origin": EVIL}))
    with_env(LOGCENTER_CORS_ORIGINS="*")
    bugs = function_client("bugs")
    assert bugs.get("/api/v1/bugs", headers={"Origin": EVIL}).headers["Access-Control-Allow-Origin"] == "*"


def test_no_deployed_function_opens_cors_by_default():
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    for name, fn in stack["functions"].items():
        assert (fn.get("environment") or {}).get("LOGCENTER_CORS_ORIGINS") in (None, ""), name


@pytest.mark.parametrize("path", ["README.md", "docs/dashboard.md", "docs/deploy.md"])
def test_docs_say_how_to_open_it(path):
    text = (ROOT / path).read_text()
    assert "LOGCENTER_CORS_ORIGINS" in text and "default `*`" not in text and "| `*` |" not in text
