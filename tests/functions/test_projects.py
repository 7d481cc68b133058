"""The projects function: the projects list (moved from bugs, same shape), registering a
project for Sentry SDKs, its DSN and key rotation."""

import re

import pytest

from shared.settings import reset_settings
from tests.functions.conftest import cicd, deployment, runtime


@pytest.fixture
def projects(function_client):
    return function_client("projects")


@pytest.fixture
def sentry(function_client):
    return function_client("sentry")


def register(projects, project_id="shop_api", expect=201, **extra):
    r = projects.post("/api/v1/projects", json={"project_id": project_id, **extra})
    assert r.status_code == expect, r.get_data(as_text=True)
    return r.get_json()


def envelope_for(key: str, message: str = "hello") -> bytes:
    return (b'{}\n{"type":"event"}\n{"message":"' + message.encode() + b'"}\n')


def test_the_list_keeps_its_shape_and_counts(projects, send):
    send(runtime(project="alpha", line=1))
    send(runtime(project="alpha", line=1))
    send(runtime(project="beta", type_="KeyError", line=2))
    send(cicd(project="alpha"))
    send(deployment(project="beta"))
    body = projects.get("/api/v1/projects").get_json()
    assert body["total"] == 2
    alpha = next(p for p in body["items"] if p["project_id"] == "alpha")
    assert (alpha["bug_count"], alpha["occurrence_count"], alpha["open_count"]) == (2, 3, 2)
    assert "sentry_id" not in alpha and "dsn" not in alpha  # not registered
    only_ci = projects.get("/api/v1/projects?source=cicd").get_json()
    assert [p["project_id"] for p in only_ci["items"]] == ["alpha"]
    assert projects.get("/api/v1/projects?source=nope").status_code == 422
    assert projects.get("/function/projects").status_code == 200


def test_register_creates_once_with_a_random_key(projects):
    created = register(projects, repository="team/shop")
    assert re.fullmatch(r"[0-9a-f]{32}", created["public_key"])
    assert created["sentry_id"] >= 1 and created["repository"] == "team/shop"
    assert created["dsn"] == f"http://{created['public_key']}@localhost/{created['sentry_id']}"
    assert (created["bug_count"], created["created_at"][-1]) == (0, "Z")
    again = register(projects, repository="other/repo", expect=200)
    assert again == created  # unchanged
    other = register(projects, "billing")
    assert other["sentry_id"] != created["sentry_id"] and other["public_key"] != created["public_key"]


@pytest.mark.parametrize("body, field", [
    ({}, "project_id"), ({"project_id": "bad id"}, "project_id"), ({"project_id": 5}, "project_id"),
    ({"project_id": "ok", "repository": "has space"}, "repository"), ({"project_id": "ok", "repository": 3}, "repository"),
    ([], "$"),
])
def test_register_rejects_bad_bodies(projects, body, field):
    r = projects.post("/api/v1/projects", json=body)
    assert r.status_code == 422
    assert field in [d["field"] for d in r.get_json()["error"]["details"]]


def test_registered_projects_are_listed_with_their_dsn_even_without_bugs(projects, send):
    send(runtime(project="alpha"))
    shop = register(projects)
    register(projects, "alpha")
    items = {p["project_id"]: p for p in projects.get("/api/v1/projects").get_json()["items"]}
    assert list(items) == ["alpha", "shop_api"]
    assert items["shop_api"]["dsn"] == shop["dsn"] and items["shop_api"]["bug_count"] == 0
    assert items["alpha"]["bug_count"] == 1 and items["alpha"]["sentry_id"] == shop["sentry_id"] + 1
    # a source filter lists what has bugs of that source
    assert [p["project_id"] for p in projects.get("/api/v1/projects?source=runtime").get_json()["items"]] == ["alpha"]


def test_detail_of_registered_seen_and_unknown_projects(projects, send):
    send(runtime(project="seen"))
    shop = register(projects)
    detail = projects.get("/api/v1/projects/shop_api").get_json()
    assert {k: detail[k] for k in ("project_id", "sentry_id", "public_key", "dsn", "repository")} == \
        {k: shop[k] for k in ("project_id", "sentry_id", "public_key", "dsn", "repository")}
    seen = projects.get("/api/v1/projects/seen").get_json()
    assert seen["sentry_id"] is None and seen["dsn"] is None and seen["bug_count"] == 1
    r = projects.get("/api/v1/projects/nobody")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_dsn_uses_the_public_url_else_the_forwarded_host(projects, monkeypatch):
    shop = register(projects)
    forwarded = projects.get("/api/v1/projects/shop_api",
                             headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "logs.example.com"}).get_json()
    assert forwarded["dsn"] == f"https://{shop['public_key']}@logs.example.com/{shop['sentry_id']}"
    monkeypatch.setenv("LOGCENTER_PUBLIC_URL", "https://lc.example.com:8443/logcenter/")
    reset_settings()
    detail = projects.get("/api/v1/projects/shop_api").get_json()
    assert detail["dsn"] == f"https://{shop['public_key']}@lc.example.com:8443/logcenter/{shop['sentry_id']}"


def test_rotate_key_refuses_the_old_key_from_then_on(projects, sentry):
    shop = register(projects)
    url = f"/api/{shop['sentry_id']}/envelope/?sentry_key="
    assert sentry.post(url + shop["public_key"], data=envelope_for(shop["public_key"])).status_code == 200
    r = projects.post("/api/v1/projects/shop_api/rotate-key")
    assert r.status_code == 200
    rotated = r.get_json()
    assert rotated["public_key"] != shop["public_key"] and rotated["key_rotated_at"] is not None
    assert rotated["dsn"] == shop["dsn"].replace(shop["public_key"], rotated["public_key"])
    assert sentry.post(url + shop["public_key"], data=envelope_for("x")).status_code == 403
    assert sentry.post(url + rotated["public_key"], data=envelope_for("x")).status_code == 200
    assert projects.post("/api/v1/projects/nobody/rotate-key").status_code == 404


def test_api_token_guards_every_projects_route(projects, monkeypatch):
    monkeypatch.setenv("LOGCENTER_API_TOKEN", "tok")
    reset_settings()
    for method, path in (("GET", "/api/v1/projects"), ("POST", "/api/v1/projects"),
                         ("GET", "/api/v1/projects/x"), ("POST", "/api/v1/projects/x/rotate-key")):
        assert projects.open(path, method=method, json={"project_id": "x"}).status_code == 401
    r = projects.post("/api/v1/projects", json={"project_id": "x"}, headers={"Authorization": "Bearer tok"})
    assert r.status_code == 201
