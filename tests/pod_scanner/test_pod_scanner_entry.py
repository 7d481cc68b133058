"""The two ways a scan starts: the function (a POST: the trigger CronJob, or any caller with the API
token when one is set) and the CronJob process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import functions_framework
import requests

from tests.pod_scanner import pods as P
from tests.pod_scanner.bugs_api import deployment_bugs
from tests.support.gateway import free_port

ROOT = Path(__file__).resolve().parents[2]
CRON_HEADERS = {"X-Topic": "cron-function", "X-Connector": "cron-connector", "User-Agent": "Go-http-client/1.1"}
BROKEN = [P.crashloop(), P.oom_crashloop(), P.evicted(), P.healthy(), P.completed_job()]


def test_cron_connector_post_through_the_gateway(cluster, kube_api, live_gateway, tmp_path):
    log_center = live_gateway()
    cluster.add(*BROKEN)
    scanner = live_gateway(env={"KUBECONFIG": str(kube_api.kubeconfig(tmp_path / "kubeconfig")),
                                "LOG_CENTER_URL": log_center.url, "LOGCENTER_SECRETS_DIR": str(tmp_path)})

    r = requests.post(f"{scanner.url}/function/pod-scanner", data=b"", headers=CRON_HEADERS, timeout=30)

    assert r.status_code == 200, r.text
    summary = r.json()
    assert (summary["pods_scanned"], summary["problems_found"], summary["reported"], summary["failed"],
            summary["skipped"]) == (5, 3, 3, 0, 0)
    assert summary["trigger"] == {"connector": "cron-connector", "topic": "cron-function"}
    assert set(deployment_bugs(log_center.url)) == {"shop/api/Error (exit code 1)", "shop/worker/OOMKilled",
                                                    "shop/search/Evicted"}
    # The scanner is only ever triggered: no GET, and its readiness needs no database.
    assert requests.get(f"{scanner.url}/function/pod-scanner", timeout=10).status_code == 405
    ready = requests.get(f"{scanner.url}/function/pod-scanner/_/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["function"] == "pod-scanner"


def test_function_entry_in_process(cluster, kube_api, live_gateway, tmp_path, monkeypatch):
    """main.py loaded the way functions-framework loads it in the image (target pod_scanner)."""
    log_center = live_gateway()
    cluster.add(*BROKEN)
    monkeypatch.setenv("KUBECONFIG", str(kube_api.kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.setenv("LOG_CENTER_URL", log_center.url)
    client = functions_framework.create_app("pod_scanner", str(ROOT / "functions/pod_scanner/main.py")).test_client()

    r = client.post("/", data=b"", headers=CRON_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["reported"] == 3
    again = client.post("/function/pod-scanner", data=b"", headers=CRON_HEADERS)
    assert again.status_code == 200 and again.get_json()["new_bugs"] == 0
    assert {b["occurrence_count"] for b in deployment_bugs(log_center.url).values()} == {1}

    # No Kubernetes API to talk to: a 503 in the common error shape, not a crash.
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    down = client.post("/", data=b"", headers=CRON_HEADERS)
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "service_unavailable"
    monkeypatch.setenv("SCAN_CONCURRENCY", "lots")
    assert client.post("/", data=b"").status_code == 503


def run_cli(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGCENTER_", "LOG_CENTER_", "KUBE"))}
    env.update({"LOGCENTER_SECRETS_DIR": str(tmp_path / "no-secrets"), "HOME": str(tmp_path)}, **env_extra)
    return subprocess.run([sys.executable, "-m", "functions.pod_scanner"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_cronjob_process_exit_codes(cluster, kube_api, live_gateway, tmp_path):
    log_center = live_gateway()
    cluster.add(*BROKEN)
    kubeconfig = str(kube_api.kubeconfig(tmp_path / "kubeconfig"))

    ok = run_cli({"KUBECONFIG": kubeconfig, "LOG_CENTER_URL": log_center.url}, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["reported"] == 3

    down = run_cli({"KUBECONFIG": kubeconfig, "LOG_CENTER_URL": f"http://127.0.0.1:{free_port()}"}, tmp_path)
    assert down.returncode == 1, down.stderr
    summary = json.loads(down.stdout)
    assert (summary["failed"], summary["log_center"]) == (3, "unreachable")

    no_cluster = run_cli({"KUBECONFIG": str(tmp_path / "nothing"), "LOG_CENTER_URL": log_center.url}, tmp_path)
    assert no_cluster.returncode == 2
    assert json.loads(no_cluster.stdout)["error"]["code"] == "scan_failed"
