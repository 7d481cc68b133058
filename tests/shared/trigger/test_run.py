"""`python -m shared.trigger` (the schedule's CronJob) against live gateways: it carries the
API token that scheduled routes need once one is set (issue 11 item 9), on SQLite and
PostgreSQL, to retention, notify and the pod scanner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.pod_scanner import pods as P
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi
from tests.support.gateway import free_port

ROOT = Path(__file__).resolve().parents[3]
API_TOKEN = "api-s3cret-token-for-triggers"


def trigger(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LOGCENTER_", "LOG_CENTER_", "TRIGGER_", "KUBE"))}
    env.update({"LOGCENTER_SECRETS_DIR": str(tmp_path / "no-secrets"), "TRIGGER_RETRY_SECONDS": "0"}, **env_extra)
    return subprocess.run([sys.executable, "-m", "shared.trigger"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def secured(live_gateway, db_url):
    return live_gateway(database_url=db_url, env={"LOGCENTER_API_TOKEN": API_TOKEN})


def test_retention_and_notify_run_with_the_token_from_the_secret_file(secured, tmp_path):
    token_file = tmp_path / "logcenter-api-token"
    token_file.write_text(API_TOKEN + "\n")
    for name in ("retention", "notify"):
        url = f"{secured.url}/function/{name}"
        # what the cron-connector did: no token, refused
        assert requests.post(url, data=b"", headers={"X-Connector": "cron-connector"}, timeout=30).status_code == 401
        run = trigger({"TRIGGER_URL": url, "LOG_CENTER_API_TOKEN_FILE": str(token_file)}, tmp_path)
        assert run.returncode == 0, run.stderr
        answer = json.loads(run.stdout)
        assert isinstance(answer, dict) and "error" not in answer
        assert API_TOKEN not in run.stdout + run.stderr
    runs = requests.get(f"{secured.url}/api/v1/retention", headers={"Authorization": f"Bearer {API_TOKEN}"},
                        timeout=10).json()["last_runs"]
    assert runs and runs[0]["trigger"] == "log-center-trigger"


def test_a_wrong_or_missing_token_fails_the_job_in_one_line(secured, tmp_path):
    url = f"{secured.url}/function/retention"
    for env in ({"LOG_CENTER_API_TOKEN": "wrong"}, {}):
        run = trigger({"TRIGGER_URL": url, **env}, tmp_path)
        assert run.returncode == 1 and run.stdout == ""
        [line] = run.stderr.strip().splitlines()
        assert line.startswith("trigger: ") and "answered 401" in line and "wrong" not in line


def test_an_unreachable_function_is_retried_then_fails(tmp_path):
    run = trigger({"TRIGGER_URL": f"http://127.0.0.1:{free_port()}/function/retention", "TRIGGER_ATTEMPTS": "2"},
                  tmp_path)
    assert run.returncode == 1 and "cannot reach" in run.stderr and "after 2 tries" in run.stderr
    bad = trigger({"TRIGGER_URL": "gateway:8080/function/retention"}, tmp_path)
    assert bad.returncode == 1 and "TRIGGER_URL must be" in bad.stderr


def test_the_pod_scanner_needs_the_token_and_the_trigger_brings_it(live_gateway, tmp_path):
    cluster = FakeCluster()
    cluster.add(P.crashloop(), P.healthy())
    with KubeApi(cluster) as api:
        log_center = live_gateway()
        scanner = live_gateway(env={"KUBECONFIG": str(api.kubeconfig(tmp_path / "kubeconfig")),
                                    "LOG_CENTER_URL": log_center.url, "LOGCENTER_API_TOKEN": API_TOKEN})
        url = f"{scanner.url}/function/pod-scanner"
        for headers in ({}, {"Authorization": "Bearer nope"}):
            refused = requests.post(url, data=b"", headers=headers, timeout=30)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
            assert "api-7d4b9c6f5d" not in refused.text
        assert cluster.requests == []  # refused before anything was listed
        run = trigger({"TRIGGER_URL": url, "LOG_CENTER_API_TOKEN": API_TOKEN}, tmp_path)
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout)
        assert summary["reported"] == 1 and summary["trigger"]["connector"] == "log-center-trigger"
