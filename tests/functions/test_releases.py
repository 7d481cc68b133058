"""The releases function: deploys, the releases list and detail, and what a bug's detail adds
(DESIGN.md "Releases"; which report counts where: shared/releases/track.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from shared.db.engine import dispose_engines, get_engine
from shared.settings import reset_settings
from shared.timeutil import iso, utcnow
from tests.functions.conftest import cicd, deployment, runtime
from tests.support.snapshot import release_counter_mismatches

SHA_A = "a0c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9"
SHA_B = "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912"


@pytest.fixture(autouse=True)
def release_counters_stay_in_step(request):
    yield
    if "db_url" in request.fixturenames:
        assert release_counter_mismatches() == {}


@pytest.fixture
def releases(function_client):
    return function_client("releases")


@pytest.fixture
def deploy(releases):
    def post(expect: int = 201, **body) -> dict:
        body.setdefault("project_id", "shop")
        body.setdefault("environment", "production")
        r = releases.post("/api/v1/deploys", json=body)
        assert r.status_code == expect, r.get_data(as_text=True)
        return r.get_json()

    return post


def get(client, path: str, expect: int = 200, **params) -> dict:
    r = client.get(path, query_string=params)
    assert r.status_code == expect, r.get_data(as_text=True)
    return r.get_json()


def shop(**extra) -> dict:
    return runtime(project="shop", **extra)


def ci(commit_hash: str | None = None, environment: str | None = None, **kwargs) -> dict:
    """A CI failure of project shop as the reporter sends it: the run's commit in commit_hash."""
    body = cicd(project="shop", **kwargs)
    if commit_hash:
        body["commit_hash"] = commit_hash
    if environment:
        body["environment"] = environment
    return body


def test_a_deploy_makes_its_release_and_the_list_shows_it(deploy, releases):
    body = deploy(version="1.4.2", commit_sha=SHA_B, url="https://ci.example.com/team/shop/actions/runs/7",
                  actor="alice", started_at="2026-12-01T10:00:00Z", finished_at="2026-12-01T10:03:00+00:00")
    assert body["version"] == "1.4.2" and body["commit_sha"] == SHA_B and body["environment"] == "production"
    assert body["deployed_at"] == "2026-12-01T10:03:00.000Z" and body["actor"] == "alice"
    deploy(version="1.5.0", commit_sha=SHA_A, finished_at="2026-12-02T10:00:00Z")
    listed = get(releases, "/api/v1/releases", project_id="shop")
    assert listed["total"] == 2 and [r["version"] for r in listed["items"]] == ["1.5.0", "1.4.2"]
    older = listed["items"][1]
    assert older["commit_sha"] == SHA_B and older["first_seen_at"] == "2026-12-01T10:03:00.000Z"
    assert older["counts"] == {"cicd_failures": 0, "deployment_errors": 0, "new_runtime_bugs": 0, "regressions": 0}
    assert [(d["environment"], d["url"]) for d in older["deploys"]] == [
        ("production", "https://ci.example.com/team/shop/actions/runs/7")]
    assert get(releases, "/api/v1/releases", project_id="other")["total"] == 0
    paged = get(releases, "/api/v1/releases", project_id="shop", page=2, page_size=1)
    assert [r["version"] for r in paged["items"]] == ["1.4.2"] and paged["page"] == 2


def test_the_same_deploy_sent_again_counts_once(deploy, releases):
    once = deploy(version="2.0", url="https://ci/run/9", finished_at="2026-12-01T10:00:00Z")
    again = deploy(expect=200, version="2.0", url="https://ci/run/9", finished_at="2026-12-01T10:00:00Z")
    assert again["id"] == once["id"] and again["duplicate"] is True
    deploy(version="2.0", url="https://ci/run/9", environment="staging", finished_at="2026-12-01T10:00:00Z")
    assert get(releases, "/api/v1/releases/shop/2.0")["deploy_count"] == 2
    # a client's event_id: its retry is the same deploy, whatever the server's clock says
    event = deploy(version="2.1", url="https://ci/run/10", event_id="AB" * 16)
    retry = deploy(expect=200, version="2.1", url="https://ci/run/10", event_id="ab" * 16)
    assert retry["id"] == event["id"] and retry["duplicate"] is True
    # a redeploy from the same run without times or ids is another deploy
    deploy(version="2.1", url="https://ci/run/10")
    assert get(releases, "/api/v1/releases/shop/2.1")["deploy_count"] == 2


@pytest.mark.parametrize("body, field", [
    ({"environment": "production", "version": "1"}, "project_id"),
    ({"project_id": "bad id", "environment": "production", "version": "1"}, "project_id"),
    ({"project_id": "shop", "version": "1"}, "environment"),
    ({"project_id": "shop", "environment": ""}, "environment"),
    ({"project_id": "shop", "environment": "production"}, "version"),
    ({"project_id": "shop", "environment": "production", "commit_sha": "not-a-sha"}, "commit_sha"),
    ({"project_id": "shop", "environment": "production", "commit_sha": "abc12"}, "commit_sha"),
    ({"project_id": "shop", "environment": "production", "version": 12}, "version"),
    ({"project_id": "shop", "environment": "production", "version": "v" * 65}, "version"),
    ({"project_id": "shop", "environment": "production", "version": "1", "url": "javascript:alert(1)"}, "url"),
    ({"project_id": "shop", "environment": "production", "version": "1", "url": "http://[::1"}, "url"),
    ({"project_id": "shop", "environment": "\u0000", "version": "1"}, "environment"),
    ({"project_id": "shop", "environment": "production", "version": "1", "started_at": "yesterday"}, "started_at"),
    ({"project_id": "shop", "environment": "production", "version": "1", "event_id": "xyz"}, "event_id"),
])
def test_a_bad_deploy_is_a_422_naming_the_field(releases, body, field):
    r = releases.post("/api/v1/deploys", json=body)
    assert r.status_code == 422, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and field in [d["field"] for d in error["details"]]
    assert get(releases, "/api/v1/releases")["total"] == 0


def test_deploys_need_the_ingest_token_and_reads_the_api_token(releases, monkeypatch, db_url):
    monkeypatch.setenv("LOGCENTER_INGEST_TOKEN", "ingest-secret")
    monkeypatch.setenv("LOGCENTER_API_TOKEN", "api-secret")
    reset_settings()
    body = {"project_id": "shop", "environment": "production", "version": "1.0"}
    assert releases.post("/api/v1/deploys", json=body).status_code == 401
    assert releases.post("/api/v1/deploys", json=body, headers={"Authorization": "Bearer api-secret"}).status_code == 401
    assert releases.post("/api/v1/deploys", json=body,
                         headers={"Authorization": "Bearer ingest-secret"}).status_code == 201
    assert releases.get("/api/v1/releases").status_code == 401
    r = releases.get("/api/v1/releases", headers={"Authorization": "Bearer api-secret"})
    assert r.status_code == 200 and r.get_json()["total"] == 1
    assert releases.post("/api/v1/deploys", data="{", content_type="application/json",
                         headers={"Authorization": "Bearer ingest-secret"}).status_code == 400


def test_short_and_full_shas_name_one_release(deploy, send, releases, bugs):
    deploy(version="1.4.2", commit_sha=SHA_B)
    by_commit = send(shop(commit_hash=SHA_B[:7], environment="production"))
    by_tag = send(shop(type_="KeyError", version=SHA_B[:10], environment="production"))
    by_full = send(shop(type_="TypeError", commit_hash=SHA_B.upper(), environment="production"))
    release = get(releases, "/api/v1/releases/shop/1.4.2")
    assert release["counts"]["new_runtime_bugs"] == 3
    assert {b["id"] for b in release["new_runtime_bugs"]} == {by_commit["id"], by_tag["id"], by_full["id"]}
    # the detail answers to any sha of the commit, 7+ characters
    assert get(releases, f"/api/v1/releases/shop/{SHA_B[:7]}")["version"] == "1.4.2"
    assert get(releases, f"/api/v1/releases/shop/{SHA_B}")["version"] == "1.4.2"
    get(releases, f"/api/v1/releases/shop/{SHA_B[:6]}", expect=404)
    # six characters are not a sha: a version of that name is a release of its own
    send(shop(type_="IndexError", version=SHA_B[:6]))
    assert get(releases, "/api/v1/releases", project_id="shop")["total"] == 2
    # a sha-looking version of another commit is a name too
    assert bugs.get(f"/api/v1/bugs/{by_tag['id']}").get_json()["release"]["version"] == "1.4.2"


def test_a_longer_sha_completes_the_release_commit(send, releases):
    send(shop(commit_hash=SHA_B[:7]))
    send(shop(type_="KeyError", commit_hash=SHA_B))
    [release] = get(releases, "/api/v1/releases")["items"]
    assert release["version"] == SHA_B[:7] and release["commit_sha"] == SHA_B
    assert release["counts"]["new_runtime_bugs"] == 2


def test_a_release_with_only_ci_failures(send, releases):
    send(ci(commit_hash=SHA_A, job="test", step="pytest", type_="TestFailure"))
    send(ci(commit_hash=SHA_A, job="test", step="pytest", type_="TestFailure"))  # a re-run
    send(ci(job="build", step="docker build", commit_sha=SHA_A))  # the commit in context only
    [release] = get(releases, "/api/v1/releases", project_id="shop")["items"]
    assert release["version"] == SHA_A and release["commit_sha"] == SHA_A and release["deploys"] == []
    assert release["counts"] == {"cicd_failures": 2, "deployment_errors": 0, "new_runtime_bugs": 0, "regressions": 0}
    detail = get(releases, f"/api/v1/releases/shop/{SHA_A[:8]}")
    assert sorted(b["error_type"] for b in detail["cicd_failures"]) == ["DockerBuildError", "TestFailure"]
    assert detail["deployment_errors"] == detail["new_runtime_bugs"] == detail["regressions"] == []
    assert detail["environments"] == []
    # the same step failing on the next commit counts there too
    send(ci(commit_hash=SHA_B, job="test", step="pytest", type_="TestFailure"))
    assert get(releases, f"/api/v1/releases/shop/{SHA_B}")["counts"]["cicd_failures"] == 1
    # never deployed: not in production's list, in the full one
    assert get(releases, "/api/v1/releases", project_id="shop", environment="production")["total"] == 0
    assert get(releases, "/api/v1/releases", project_id="shop")["total"] == 2


def test_a_named_version_takes_over_the_release_its_commit_had(send, deploy, releases):
    send(ci(commit_hash=SHA_B, type_="TestFailure"))
    deploy(version="1.4.2", commit_sha=SHA_B)
    [release] = get(releases, "/api/v1/releases", project_id="shop")["items"]
    assert release["version"] == "1.4.2" and release["commit_sha"] == SHA_B
    assert release["counts"]["cicd_failures"] == 1 and release["deploy_count"] == 1


def test_a_regression_counts_on_the_release_it_reappeared_in(send, bugs, releases):
    bug_id = send(shop(version="1.0", environment="production"))["id"]
    assert bugs.patch(f"/api/v1/bugs/{bug_id}/status", json={"status": "FIXED"}).status_code == 200
    send(shop(version="1.1", environment="production"))
    send(shop(version="1.1", environment="production"))  # counted, not another regression
    one_one = get(releases, "/api/v1/releases/shop/1.1")
    assert one_one["counts"] == {"cicd_failures": 0, "deployment_errors": 0, "new_runtime_bugs": 0, "regressions": 1}
    assert [b["id"] for b in one_one["regressions"]] == [bug_id] and one_one["regressions"][0]["is_regression"]
    assert get(releases, "/api/v1/releases/shop/1.0")["counts"]["new_runtime_bugs"] == 1
    bug = bugs.get(f"/api/v1/bugs/{bug_id}").get_json()
    assert bug["first_version"] == "1.0" and bug["version"] == "1.1" and bug["release"]["version"] == "1.0"


def test_reports_of_open_bugs_and_rescans_count_nowhere(send, releases):
    send(shop(version="1.0"))
    send(shop(version="2.0"))  # one more occurrence of an open bug
    assert [r["version"] for r in get(releases, "/api/v1/releases")["items"]] == ["1.0"]
    crash = deployment(project="shop")
    crash["version"] = "3.0"
    send(crash)
    send(crash)  # the next scan sees the same crash
    crash["context"] = {**crash["context"], "restart_count": 4}
    send(crash)  # it crashed again on the same image: the same bug in the same release
    release = get(releases, "/api/v1/releases/shop/3.0")
    assert release["counts"]["deployment_errors"] == 1 and len(release["deployment_errors"]) == 1
    send(shop(type_="KeyError"))  # no version, no commit: no release
    assert get(releases, "/api/v1/releases")["total"] == 2


def test_environments_are_kept_apart(send, deploy, releases, bugs):
    deploy(version="2.0", environment="staging", finished_at=iso(utcnow() - timedelta(hours=2)))
    deploy(version="2.0", environment="production", finished_at=iso(utcnow() - timedelta(hours=1)))
    deploy(version="2.1", environment="staging", finished_at=iso(utcnow() - timedelta(minutes=30)))
    staging_bug = send(shop(version="2.0", environment="staging"))
    crash = deployment(project="shop", ns="prod")
    crash.update(version="2.0", environment="production")
    send(crash)
    staging = get(releases, "/api/v1/releases", project_id="shop", environment="staging")
    assert [r["version"] for r in staging["items"]] == ["2.1", "2.0"] and staging["total"] == 2
    assert staging["items"][1]["counts"]["new_runtime_bugs"] == 1
    assert staging["items"][1]["counts"]["deployment_errors"] == 0
    assert [d["environment"] for d in staging["items"][1]["deploys"]] == ["staging"]
    production = get(releases, "/api/v1/releases", project_id="shop", environment="production")
    [two] = production["items"]
    assert two["version"] == "2.0" and two["environment"] == "production"
    assert two["counts"] == {"cicd_failures": 0, "deployment_errors": 1, "new_runtime_bugs": 0, "regressions": 0}
    assert [d["environment"] for d in two["deploys"]] == ["production"]
    everywhere = get(releases, "/api/v1/releases/shop/2.0")
    assert everywhere["counts"]["new_runtime_bugs"] == 1 and everywhere["counts"]["deployment_errors"] == 1
    assert {e["environment"] for e in everywhere["environments"]} == {"staging", "production"}
    only_prod = get(releases, "/api/v1/releases/shop/2.0", environment="production")
    assert only_prod["new_runtime_bugs"] == [] and len(only_prod["deployment_errors"]) == 1
    assert [d["environment"] for d in only_prod["deploys"]] == ["production"]
    # the suspect deploy is the last one of the bug's own environment
    suspect = bugs.get(f"/api/v1/bugs/{staging_bug['id']}").get_json()["suspect_deploy"]
    assert suspect["environment"] == "staging" and suspect["version"] == "2.1"
    assert get(releases, "/api/v1/releases", environment="qa")["total"] == 0


def test_suspect_deploy_is_the_last_deploy_before_the_bug_was_first_seen(send, deploy, bugs):
    now = utcnow()
    first = deploy(version="1.0", url="https://ci/run/1", finished_at=iso(now - timedelta(hours=3)))
    deploy(version="1.1", environment="staging", finished_at=iso(now - timedelta(hours=1)))
    bug_id = send(shop(version="1.0", environment="production"))["id"]
    deploy(version="1.2", finished_at=iso(now + timedelta(minutes=5)))  # after the bug: not a suspect
    send(shop(version="1.2", environment="production"))
    bug = bugs.get(f"/api/v1/bugs/{bug_id}").get_json()
    assert bug["suspect_deploy"]["id"] == first["id"] and bug["suspect_deploy"]["url"] == "https://ci/run/1"
    assert bug["release"] == {"project_id": "shop", "version": "1.0", "commit_sha": None,
                              "first_seen_at": first["deployed_at"]}
    no_env = bugs.get(f"/api/v1/bugs/{send(shop(type_='KeyError', version='1.0'))['id']}").get_json()
    assert no_env["suspect_deploy"] is None and no_env["release"]["version"] == "1.0"
    failure = send(ci(commit_hash=SHA_A, environment="production"))
    assert bugs.get(f"/api/v1/bugs/{failure['id']}").get_json()["suspect_deploy"] is None
    without = bugs.get(f"/api/v1/bugs/{send(runtime(project='other'))['id']}").get_json()
    assert without["release"] is None and without["suspect_deploy"] is None


@pytest.mark.parametrize("params, field", [({"page_size": "0"}, "page_size"), ({"page": "x"}, "page"),
                                            ({"project_id": "bad id"}, "project_id"),
                                            ({"environment": "e" * 65}, "environment")])
def test_bad_list_parameters_are_422(releases, params, field, db_url):
    r = releases.get("/api/v1/releases", query_string=params)
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == field


def test_an_unknown_release_is_a_404(releases, send):
    send(shop(version="1.0"))
    for path in ("/api/v1/releases/shop/9.9", "/api/v1/releases/nope/1.0", "/api/v1/releases/bad%20id/1.0",
                 "/api/v1/releases/shop/" + "v" * 65):
        r = releases.get(path)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", path
    assert releases.delete("/api/v1/releases/shop/1.0").status_code == 405
    assert releases.get("/function/releases/shop/1.0").status_code == 200


def test_existing_bugs_get_releases_when_the_database_is_upgraded(send, releases, db_url):
    new = send(shop(version="1.0", environment="production"))
    send(shop(type_="KeyError", commit_hash=SHA_B[:7], environment="staging"))
    send(ci(commit_hash=SHA_A))
    crash = deployment(project="shop")
    crash["version"] = "1.0"
    send(crash)
    send(runtime(project="plain"))  # no version: no release
    # What a schema-8 database is: the same tables, without the release tables.
    with get_engine().begin() as conn:
        for table in ("release_bug", "release_environment", "deploy", "release"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE logcenter_meta SET value = '8' WHERE name = 'schema_version'"))
    dispose_engines()
    listed = get(releases, "/api/v1/releases")
    assert {r["version"]: r["counts"] for r in listed["items"]} == {
        "1.0": {"cicd_failures": 0, "deployment_errors": 1, "new_runtime_bugs": 1, "regressions": 0},
        SHA_B[:7]: {"cicd_failures": 0, "deployment_errors": 0, "new_runtime_bugs": 1, "regressions": 0},
        SHA_A: {"cicd_failures": 1, "deployment_errors": 0, "new_runtime_bugs": 0, "regressions": 0},
    }
    one = get(releases, "/api/v1/releases/shop/1.0", environment="production")
    assert [b["id"] for b in one["new_runtime_bugs"]] == [new["id"]]
    # sha releases answer to prefixes after the upgrade, and new reports join them
    assert get(releases, f"/api/v1/releases/shop/{SHA_B}")["version"] == SHA_B[:7]
    send(shop(type_="TypeError", commit_hash=SHA_B))
    assert get(releases, f"/api/v1/releases/shop/{SHA_B[:7]}")["counts"]["new_runtime_bugs"] == 2
