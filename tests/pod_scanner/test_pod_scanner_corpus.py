"""Real pod objects (tests/pod_scanner/corpus, sources in each file) and the loop of one
failing container, through kmock + the real kubernetes client into a live Log Center on
SQLite and PostgreSQL: start failures under containerd, one bug per crash loop whatever
moment a scan sees, old failures of healthy pods, static pods, versions."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path

import pytest
import requests
import yaml

from functions.pod_scanner.podscan import ScanConfig
from tests.pod_scanner.bugs_api import deployment_bugs

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())


def load(name: str) -> dict:
    return yaml.safe_load((CORPUS / name).read_text())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def log_center(live_gateway, db_url):
    return live_gateway(database_url=db_url)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['pod']}@{c['now']}" for c in CASES])
def test_real_pods(cluster, run_scan, log_center, case):
    pod = load(case["pod"])
    cluster.add(pod)
    summary = run_scan(ScanConfig(log_center_url=log_center.url), now=at(case["now"]))
    bugs = deployment_bugs(log_center.url)
    if case["report"] == "none":
        assert summary["problems_found"] == 0 and bugs == {}
        return
    want = case["report"]
    assert summary["reported"] == 1, summary
    [(key, bug)] = bugs.items()
    assert key == f"{want['workload']}/{want['error_type']}"
    assert (bug["level"], bug["error_message"], bug["context"]["workload_kind"]) == \
        (want["level"], want["message"], want["workload_kind"])
    assert bug["version"] == want["version"] and bug["commit_hash"] == want.get("commit_hash")
    assert "\n" not in bug["error_message"] and len(bug["error_message"]) <= 300


def _moment(pod: dict, state: dict, last: dict | None, restarts: int, ready: bool = False) -> dict:
    pod = copy.deepcopy(pod)
    [cs] = pod["status"]["containerStatuses"]
    cs.update(state=state, lastState={"terminated": last} if last else {}, restartCount=restarts, ready=ready)
    return pod


def test_one_crash_loop_is_one_bug_whichever_moment_a_scan_sees(cluster, run_scan, log_center):
    """terminated: OOMKilled → waiting: CrashLoopBackOff → running again: the same crash, one
    bug, counted once; the next crash counts once more."""
    seen = load("oomkilled-then-crashloop.yaml")
    crash = seen["status"]["containerStatuses"][0]["state"]["terminated"]
    config = ScanConfig(log_center_url=log_center.url)
    moments = [
        (seen, "2024-01-22T10:03:40Z"),
        (_moment(seen, {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed "
                                    "container"}}, crash, 4), "2024-01-22T10:04:10Z"),
        (_moment(seen, {"running": {"startedAt": "2024-01-22T10:04:05Z"}}, crash, 5), "2024-01-22T10:04:40Z"),
    ]
    states = []
    for pod, now in moments:
        cluster.add(pod)
        summary = run_scan(config, now=at(now))
        assert summary["reported"] == 1, summary
        [bug] = deployment_bugs(log_center.url).values()
        states.append(bug["context"]["loop_state"])
        assert (bug["error_type"], bug["context"]["reason"], bug["occurrence_count"]) == ("OOMKilled", "OOMKilled", 1)
    assert states == ["terminated", "CrashLoopBackOff", "running"]

    again = dict(crash, startedAt="2024-01-22T10:04:05Z", finishedAt="2024-01-22T10:04:50Z",
                 containerID="containerd://77aa88bb99cc")
    cluster.add(_moment(seen, {"terminated": again}, crash, 5))
    run_scan(config, now=at("2024-01-22T10:05:10Z"))
    [bug] = deployment_bugs(log_center.url).values()
    assert bug["occurrence_count"] == 2 and bug["context"]["termination"]["finished_at"] == "2024-01-22T10:04:50Z"


def test_start_errors_of_jobs_and_cronjobs_are_reported(cluster, run_scan, log_center):
    argo = load("start-error-argo-mkdir.yaml")
    for name, owner in (("nightly-29015460-abcde", "nightly-29015460"), ("migrate-xk2p9", "migrate")):
        pod = copy.deepcopy(argo)
        pod["metadata"].update(name=name, namespace="batch",
                               ownerReferences=[{"apiVersion": "batch/v1", "kind": "Job", "name": owner,
                                                 "uid": f"uid-{owner}", "controller": True}])
        cluster.add(pod)
    run_scan(ScanConfig(log_center_url=log_center.url), now=at("2023-06-14T15:16:30Z"))
    bugs = deployment_bugs(log_center.url)
    assert set(bugs) == {"batch/nightly/StartError", "batch/migrate/StartError"}
    assert {b["context"]["workload_kind"] for b in bugs.values()} == {"CronJob", "Job"}
    whole = argo["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
    assert all(b["context"]["termination"]["message"] == whole for b in bugs.values())


def test_the_scan_sends_an_event_id_per_report(cluster, run_scan, log_center):
    cluster.add(load("start-error-argo-mkdir.yaml"), load("kube-apiserver-mirror.yaml"))
    run_scan(ScanConfig(log_center_url=log_center.url), now=at("2020-08-09T10:05:00Z"))
    ids = []
    for bug in deployment_bugs(log_center.url).values():
        r = requests.get(f"{log_center.url}/api/v1/bugs/{bug['id']}/occurrences", timeout=10)
        assert r.status_code == 200, r.text
        ids += [o["event_id"] for o in r.json()["items"]]
    assert len(ids) == 2 and len(set(ids)) == 2 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
