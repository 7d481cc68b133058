"""ci/report-cicd-error.sh --deploy: a successful deploy recorded in Log Center (real bash, curl, jq)."""

from __future__ import annotations

import json

import requests

from tests.ci.reporter_support import run_reporter, unique_project

SHA = "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912"
RUNNER = {"GITHUB_SHA": SHA, "GITHUB_ACTOR": "alice", "GITHUB_REPOSITORY": "team/shop",
          "GITHUB_RUN_ID": "8123", "GITHUB_SERVER_URL": "https://gitea.example.com/"}


def releases_of(base_url: str, project: str, **params) -> list[dict]:
    r = requests.get(f"{base_url}/api/v1/releases", params={"project_id": project, **params}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def deploy(base_url: str, *args: str, env: dict | None = None):
    run = run_reporter(list(args), {"LOG_CENTER_URL": base_url, **RUNNER, **(env or {})})
    assert run.returncode == 0, run
    return run


def test_a_deploy_with_the_runners_commit_run_link_and_actor(gateway):
    project = unique_project("deploy")
    run = deploy(gateway.url, "--deploy", project, "--environment", "production", "--version", "1.4.2")
    assert run.stdout == ""
    assert run.stderr.startswith("log-center: recorded deploy ") and "of 1.4.2 to production" in run.stderr
    assert run.stderr.count("\n") == 1
    [release] = releases_of(gateway.url, project)
    assert (release["version"], release["commit_sha"]) == ("1.4.2", SHA)
    [d] = release["deploys"]
    assert d["url"] == "https://gitea.example.com/team/shop/actions/runs/8123" and d["actor"] == "alice"
    assert d["finished_at"] is None and d["deployed_at"].endswith("Z")


def test_without_a_version_the_release_is_the_commit(gateway):
    project = unique_project("deploy")
    deploy(gateway.url, f"--deploy={project}", "--environment=staging",
           env={"GITHUB_SHA": "", "GITEA_SHA": SHA, "LOG_CENTER_RUN_URL": "https://ci.example.com/r/1"})
    [release] = releases_of(gateway.url, project, environment="staging")
    assert release["version"] == SHA and release["deploys"][0]["url"] == "https://ci.example.com/r/1"
    # an image tagged with the short sha reports into the same release
    r = requests.post(f"{gateway.url}/api/v1/logs/report", timeout=10, json={
        "project_id": project, "source": "deployment", "version": SHA[:7], "environment": "staging",
        "error": {"type": "CrashLoopBackOff"}, "context": {"namespace": "shop", "deployment_name": "api"}})
    assert r.status_code == 201, r.text
    [release] = releases_of(gateway.url, project)
    assert release["counts"]["deployment_errors"] == 1


def test_dry_run_prints_the_deploy_and_sends_nothing(gateway):
    project = unique_project("deploy")
    run = deploy(gateway.url, "--deploy", project, "--environment", "production", "--dry-run")
    body = json.loads(run.stdout)
    assert body["project_id"] == project and body["commit_sha"] == SHA and "version" not in body
    assert body["environment"] == "production" and body["actor"] == "alice" and len(body["event_id"]) == 32
    assert "dry run" in run.stderr and releases_of(gateway.url, project) == []


def test_bad_usage_and_missing_pieces_never_fail_the_step(gateway):
    project = unique_project("deploy")
    cases = [
        (["--deploy", project], {}, "--environment is required"),
        (["--deploy"], {}, "--deploy needs a value"),
        (["--deploy", project, "--environment", "production", "--colour", "red"], {}, "unexpected argument '--colour'"),
        (["--deploy", project, "--environment", "production"], {"GITHUB_SHA": ""}, "no --version given"),
        (["--deploy", project, "--environment", "production"], {"LOG_CENTER_URL": ""}, "LOG_CENTER_URL is not set"),
        (["--deploy", project, "--environment", "production"], {"LOG_CENTER_URL": "ftp://x"}, "must start with"),
        (["--deploy", project, "--environment", "production"], {"LOG_CENTER_URL": "http://127.0.0.1:9"},
         "cannot connect to Log Center"),
        (["--deploy", "bad id", "--environment", "production"], {}, "HTTP 422 validation_error: project_id"),
    ]
    for args, env, says in cases:
        run = deploy(gateway.url, *args, env=env)
        assert says in run.stderr and run.stderr.endswith("deploy not recorded\n"), (args, run.stderr)
        assert run.stdout == ""
    assert releases_of(gateway.url, project) == []


def test_the_ingest_token_goes_in_a_header(live_gateway):
    gw = live_gateway(env={"LOGCENTER_INGEST_TOKEN": "ingest-s3cret-token"})
    project = unique_project("deploy")
    run = deploy(gw.url, "--deploy", project, "--environment", "production", env={"LOG_CENTER_TOKEN": "wrong"})
    assert "HTTP 401" in run.stderr and "s3cret" not in run.stderr
    deploy(gw.url, "--deploy", project, "--environment", "production",
           env={"LOG_CENTER_TOKEN": "ingest-s3cret-token\n"})
    assert len(releases_of(gw.url, project)) == 1


def test_a_failure_message_may_say_deploy_after_the_separator(gateway):
    """Only an option selects deploy mode: a failure whose message is "--deploy" is a failure."""
    project = unique_project("deploy")
    run = run_reporter([project, "deploy", "--", "--deploy"], {"LOG_CENTER_URL": gateway.url})
    assert run.returncode == 0 and "reported DeployError" in run.stderr, run
