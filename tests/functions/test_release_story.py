"""Issue 15's story end to end, every source through its real client, on SQLite and PostgreSQL:
a CI failure of commit A (ci/report-cicd-error.sh), a deploy of commit B (its --deploy mode),
a pod crashing on image tag B seen by the real pod scanner (kubernetes client over kmock),
then two new runtime bugs and a regression reported with B's short sha."""

from __future__ import annotations

import requests

from functions.pod_scanner import podscan
from functions.pod_scanner.podscan.report import Reporter
from tests.ci.reporter_support import run_reporter
from tests.pod_scanner import pods as P
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi

SHA_A = "a0c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9"
SHA_B = "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912"
RUNNER = {"GITHUB_REPOSITORY": "team/shop", "GITHUB_SERVER_URL": "https://gitea.example.com",
          "GITHUB_WORKFLOW": "build", "GITHUB_JOB": "build", "GITHUB_ACTOR": "alice"}


def api(gw, method: str, path: str, expect: int = 200, **kwargs) -> dict:
    r = requests.request(method, gw.url + path, timeout=10, **kwargs)
    assert r.status_code == expect, (path, r.text)
    return r.json()


def report(gw, expect: int = 201, **body) -> dict:
    error = {"type": body.pop("type"), "message": "boom", "file_path": body.pop("file"), "line_number": 7}
    return api(gw, "POST", "/api/v1/logs/report", expect, json={"project_id": "shop", "error": error, **body})


def scan_broken_pod(gw) -> dict:
    image = f"registry.example.com/team/shop:{SHA_B[:7]}"
    cluster = FakeCluster()
    cluster.add(P.pod("shop-api-6f5d4c3b2a-x1y2z", "shop", app="shop", owner=("ReplicaSet", "shop-api-6f5d4c3b2a"),
                      pod_hash="6f5d4c3b2a", containers=[P.container("app", image=image)],
                      statuses=[P.waiting("app", "CrashLoopBackOff", "back-off 5m0s restarting failed container",
                                          image=image, restarts=5, last=P.terminated("Error", 1))]))
    cluster.set_log("shop", "shop-api-6f5d4c3b2a-x1y2z", "app", previous="KeyError: 'PAYMENT_URL'\n")
    config = podscan.ScanConfig(log_center_url=gw.url, environment="production", namespaces=("shop",))
    with KubeApi(cluster) as kube:
        client = kube.api_client(config.concurrency)
        reporter = Reporter(config)
        try:
            return podscan.scan(config, podscan.Kube(client, timeout=5), reporter, now=P.NOW)
        finally:
            reporter.close()
            client.close()


def test_one_commit_from_build_to_deploy_to_runtime(db_url, live_gateway):
    gw = live_gateway(database_url=db_url)
    # Before: a bug of an older release, fixed since.
    old = report(gw, type="TimeoutError", file="shop/pay.py", version="1.3.0", environment="production")
    api(gw, "PATCH", f"/api/v1/bugs/{old['id']}/status", json={"status": "FIXED", "note": "retry added"})

    # 1. CI fails on commit A: its tests.
    run = run_reporter(["shop", "pytest", "1 failed, 41 passed"],
                       {"LOG_CENTER_URL": gw.url, **RUNNER, "GITHUB_SHA": SHA_A, "GITHUB_RUN_ID": "101"})
    assert run.returncode == 0 and "reported TestFailure" in run.stderr, run
    # 2. Commit B builds and is deployed; the step after the deploy records it.
    run = run_reporter(["--deploy", "shop", "--environment", "production"],
                       {"LOG_CENTER_URL": gw.url, **RUNNER, "GITHUB_SHA": SHA_B, "GITHUB_RUN_ID": "102"})
    assert run.returncode == 0 and "recorded deploy" in run.stderr, run
    # 3. Its pod crashes on image tag B; the scanner sees it.
    summary = scan_broken_pod(gw)
    assert summary["reported"] == 1 and summary["new_bugs"] == 1, summary
    # 4. The app, running B, reports two new errors and the old one again.
    new1 = report(gw, type="KeyError", file="shop/cart.py", commit_hash=SHA_B[:7], environment="production")
    new2 = report(gw, type="ValueError", file="shop/order.py", commit_hash=SHA_B[:7], environment="production")
    again = report(gw, 200, type="TimeoutError", file="shop/pay.py", commit_hash=SHA_B[:7], environment="production")
    assert again["id"] == old["id"] and again["status"] == "NEW"

    listed = api(gw, "GET", "/api/v1/releases", params={"project_id": "shop"})
    assert [r["commit_sha"] for r in listed["items"]] == [SHA_B, SHA_A, None]
    b, a, older = listed["items"]
    assert b["counts"] == {"cicd_failures": 0, "deployment_errors": 1, "new_runtime_bugs": 2, "regressions": 1}
    assert a["counts"] == {"cicd_failures": 1, "deployment_errors": 0, "new_runtime_bugs": 0, "regressions": 0}
    assert a["deploys"] == [] and older["version"] == "1.3.0" and older["counts"]["new_runtime_bugs"] == 1
    [deploy] = b["deploys"]
    assert (deploy["environment"], deploy["actor"], deploy["commit_sha"]) == ("production", "alice", SHA_B)
    assert deploy["url"] == "https://gitea.example.com/team/shop/actions/runs/102"

    # The release page, named by B's short sha as the image tag names it.
    detail = api(gw, "GET", f"/api/v1/releases/shop/{SHA_B[:7]}")
    assert detail["version"] == b["version"]
    assert {x["id"] for x in detail["new_runtime_bugs"]} == {new1["id"], new2["id"]}
    assert [x["id"] for x in detail["regressions"]] == [old["id"]]
    [crash] = detail["deployment_errors"]
    assert crash["source"] == "deployment" and crash["environment"] == "production"
    assert detail["cicd_failures"] == [] and [d["id"] for d in detail["deploys"]] == [deploy["id"]]
    [ci] = api(gw, "GET", f"/api/v1/releases/shop/{SHA_A[:12]}")["cicd_failures"]
    assert ci["error_type"] == "TestFailure"

    # The bugs point back at their release and at the deploy that shipped them.
    for bug_id in (new1["id"], new2["id"], crash["id"]):
        bug = api(gw, "GET", f"/api/v1/bugs/{bug_id}")
        assert bug["release"]["commit_sha"] == SHA_B and bug["suspect_deploy"]["id"] == deploy["id"]
    regressed = api(gw, "GET", f"/api/v1/bugs/{old['id']}")
    assert regressed["first_version"] == "1.3.0" and regressed["release"]["version"] == "1.3.0"
    assert regressed["is_regression"] and regressed["suspect_deploy"] is None  # first seen before any deploy
    assert api(gw, "GET", f"/api/v1/bugs/{ci['id']}")["suspect_deploy"] is None
    crash_bug = api(gw, "GET", f"/api/v1/bugs/{crash['id']}")
    assert crash_bug["version"] == SHA_B[:7] and crash_bug["first_version"] == SHA_B[:7]

    # Staging saw none of it.
    assert api(gw, "GET", "/api/v1/releases", params={"project_id": "shop", "environment": "staging"})["total"] == 0
    # A later scan of the same crash counts nothing anywhere.
    scan_broken_pod(gw)
    assert api(gw, "GET", f"/api/v1/releases/shop/{SHA_B}")["counts"]["deployment_errors"] == 1


SDK_APP = """
import os, sentry_sdk
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], release=os.environ["RELEASE"], environment="production",
                default_integrations=False)
try:
    {}["PAYMENT_URL"]
except KeyError as exc:
    sentry_sdk.capture_exception(exc)
sentry_sdk.flush(10)
"""


def test_a_sentry_sdk_release_joins_the_deploy_of_its_commit(db_url, live_gateway, tmp_path):
    """The real Python SDK with `release="shop@<short sha>"` (the commit the sentry function
    reads from it): its bug lands in the release the deploy of 1.4.2 at that commit made."""
    import subprocess
    import sys

    gw = live_gateway(database_url=db_url)
    dsn = api(gw, "POST", "/api/v1/projects", 201, json={"project_id": "shop"})["dsn"]
    api(gw, "POST", "/api/v1/deploys", 201, json={"project_id": "shop", "environment": "production",
                                                  "version": "1.4.2", "commit_sha": SHA_B})
    proc = subprocess.run([sys.executable, "-c", SDK_APP], capture_output=True, text=True, timeout=60,
                          env={"SENTRY_DSN": dsn, "RELEASE": f"shop@{SHA_B[:7]}", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    [release] = api(gw, "GET", "/api/v1/releases", params={"project_id": "shop"})["items"]
    assert release["version"] == "1.4.2" and release["counts"]["new_runtime_bugs"] == 1
    [bug] = api(gw, "GET", "/api/v1/releases/shop/1.4.2")["new_runtime_bugs"]
    detail = api(gw, "GET", f"/api/v1/bugs/{bug['id']}")
    assert detail["first_version"] == f"shop@{SHA_B[:7]}" and detail["commit_hash"] == SHA_B[:7]
    assert detail["release"]["version"] == "1.4.2" and detail["suspect_deploy"]["commit_sha"] == SHA_B
