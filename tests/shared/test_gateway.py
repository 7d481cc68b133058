import logging

import pytest

from shared import gateway
from tests.functions.conftest import runtime


@pytest.fixture
def dist(tmp_path):
    d = tmp_path / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text("<!doctype html><div id=root></div>")
    (d / "assets" / "app-1234.js").write_text("console.log(1)")
    (d / "config.js").write_text("window.LOG_CENTER_CONFIG = {}")
    return d


@pytest.fixture
def client(db_url, dist):
    return gateway.create_app(web_dist=dist).test_client()


def test_both_path_styles_reach_the_same_functions(client):
    assert client.post("/api/v1/logs/report", json=runtime()).status_code == 201
    assert client.post("/function/report", json=runtime()).get_json()["occurrence_count"] == 2
    assert client.get("/api/v1/bugs").get_json()["total"] == 1
    assert client.get("/function/bugs/1").get_json()["id"] == 1
    assert client.get("/function/bugs/api/v1/bugs/1").get_json()["id"] == 1
    assert client.get("/api/v1/projects").get_json()["total"] == 1
    assert client.get("/api/v1/tasks/pending").get_json()["total"] == 1
    assert client.get("/function/tasks/pending").get_json()["total"] == 1
    assert client.get("/api/v1/dashboard/stats").get_json()["total_bugs"] == 1
    assert client.get("/function/stats").get_json()["total_bugs"] == 1


def test_unknown_api_paths_are_json_404s(client):
    for path in ("/api/v1/nothing", "/function/nothing", "/api/v2/bugs"):
        r = client.get(path)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_writes_to_unknown_paths_never_fall_back_to_the_page(client):
    r = client.post("/no/such/prefix/api/v1/logs/report", json=runtime())
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert client.patch("/bugs/1", json={}).status_code == 404


def test_spa_is_served_with_history_fallback(client):
    assert b"root" in client.get("/").data
    assert b"root" in client.get("/bugs").data
    assert b"root" in client.get("/bugs/12").data
    asset = client.get("/assets/app-1234.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert client.get("/config.js").data.startswith(b"window.")
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/../../etc/passwd").status_code in (200, 404)
    assert b"root:" not in client.get("/..%2f..%2fetc/passwd").data


def test_without_a_build_the_root_says_how_to_build(db_url, tmp_path):
    client = gateway.create_app(web_dist=tmp_path / "none").test_client()
    assert "make web" in client.get("/").get_json()["message"]


def test_warns_when_open_beyond_loopback(caplog):
    with caplog.at_level(logging.WARNING, logger="logcenter.gateway"):
        gateway._warn_if_open("127.0.0.1")
        assert not caplog.records
        gateway._warn_if_open("0.0.0.0")
    assert "LOGCENTER_API_TOKEN" in caplog.text


def test_sentry_paths_reach_the_sentry_function_and_other_api_paths_stay_404s(client):
    shop = client.post("/api/v1/projects", json={"project_id": "shop"}).get_json()
    body = b'{}\n{"type":"event"}\n{"message":"hi"}\n'
    for path in (f"/api/{shop['sentry_id']}/envelope/", f"/api/{shop['sentry_id']}/envelope",
                 f"/function/sentry/api/{shop['sentry_id']}/envelope/"):
        r = client.post(f"{path}?sentry_key={shop['public_key']}", data=body)
        assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*", path
    assert client.get("/api/v1/bugs").get_json()["total"] == 1
    assert gateway.function_for("/api/7/store/") == "sentry"
    assert gateway.function_for("/api/v1/projects/shop/rotate-key") == "projects"
    assert gateway.function_for("/api/v1/bugs/1") == "bugs"
