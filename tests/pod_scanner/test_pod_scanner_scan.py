"""Whole scans: the real `kubernetes` client over HTTP to kmock, reports into a live Log Center."""

from __future__ import annotations

import time
from datetime import timedelta

import requests

from functions.pod_scanner.podscan import ScanConfig
from tests.pod_scanner import pods as P
from tests.pod_scanner.bugs_api import deployment_bugs
from tests.support.gateway import free_port

CRASH_LOG = "".join(f"2026-11-28T05:59:{i:02d}Z INFO request {i}\n" for i in range(150)) + \
    "Traceback (most recent call last):\n  File \"app/main.py\", line 9, in <module>\nValueError: DATABASE_URL is not set\n"

EVERY_KIND = [P.crashloop(), P.oom_crashloop(), P.oom_running(), P.image_pull(), P.invalid_image(),
              P.config_error(), P.job_failed(), P.cronjob_failed(), P.cannot_run(), P.init_crash(),
              P.evicted(), P.unschedulable(), P.bare_pod(),
              # not errors:
              P.healthy(), P.completed_job(), P.just_started()]

EXPECTED = {
    "shop/api/Error (exit code 1)", "shop/worker/OOMKilled", "shop/cache/OOMKilled", "shop/web/ImagePullBackOff",
    "shop/bad-image/InvalidImageName", "shop/mailer/CreateContainerConfigError", "shop/migrate/Error (exit code 2)",
    "ops/backup/Error (exit code 1)", "kube-system/agent/ContainerCannotRun", "shop/report/Error (exit code 1)",
    "shop/search/Evicted", "ml/gpu-job/Unschedulable", "default/debug-shell/Error (exit code 127)",
}
CONTEXT_KEYS = {"namespace", "pod_name", "container_name", "deployment_name", "restart_count", "reason",
                "exit_code", "node_name", "image", "log_tail"}


def test_every_kind_reaches_log_center_as_a_deployment_bug(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(*EVERY_KIND)
    cluster.set_log("shop", "api-7d4b9c6f5d-x2x9k", "app", previous=CRASH_LOG, current="starting\n")
    cluster.set_log("shop", "worker-5f6b7c8d9-q7r2t", "worker", previous="loading 2 GiB of embeddings\n")

    summary = run_scan(ScanConfig(log_center_url=gw.url, log_tail_lines=5))

    assert summary["pods_scanned"] == 16
    assert summary["problems_found"] == 13
    assert (summary["reported"], summary["failed"], summary["skipped"], summary["new_bugs"]) == (13, 0, 0, 13)
    assert summary["log_center"] == "ok"
    bugs = deployment_bugs(gw.url)
    assert set(bugs) == EXPECTED
    for bug in bugs.values():
        # Failing now: CRITICAL; the cache restarted after an OOM kill and is Ready again: WARNING.
        expected_level = "WARNING" if bug["context"]["pod_name"] == "cache-0" else "CRITICAL"
        assert bug["source"] == "deployment" and bug["level"] == expected_level and bug["occurrence_count"] == 1
        assert CONTEXT_KEYS <= set(bug["context"])
        assert bug["file_path"] is None and bug["line_number"] is None

    api = bugs["shop/api/Error (exit code 1)"]
    assert api["project_id"] == "rtc_backend"
    ctx = api["context"]
    assert (ctx["pod_name"], ctx["container_name"], ctx["restart_count"], ctx["reason"], ctx["exit_code"],
            ctx["node_name"], ctx["image"]) == ("api-7d4b9c6f5d-x2x9k", "app", 7, "Error", 1,
                                                "k3s-node-1", "registry.example.com/team/app:1.4.2")
    # previous=True first: the crashed container's log, its last LOG_TAIL_LINES lines.
    assert ctx["log_tail"].splitlines()[-1] == "ValueError: DATABASE_URL is not set"
    assert len(ctx["log_tail"].splitlines()) == 5 and ctx["log_source"] == "previous"

    oom = bugs["shop/worker/OOMKilled"]
    assert (oom["context"]["reason"], oom["context"]["loop_state"]) == ("OOMKilled", "CrashLoopBackOff")
    assert "memory limit 64Mi" in oom["error_message"]
    assert ctx["loop_state"] == "CrashLoopBackOff" and ctx["termination"]["exit_code"] == 1
    assert api["version"] == "1.4.2"  # the failing container's image tag
    assert oom["context"]["log_tail"] == "loading 2 GiB of embeddings\n"
    # a container that never restarted: previous is a 400, the current log is used.
    assert bugs["shop/migrate/Error (exit code 2)"]["context"]["log_source"] in ("current", "none")
    assert bugs["ml/gpu-job/Unschedulable"]["context"]["container_name"] is None
    # logs were fetched only for containers that ran, and always previous first.
    fetched = cluster.log_requests()
    assert {p["container"] for p in fetched} >= {"app", "worker", "wait-db", "shell"}
    assert "web" not in {p["container"] for p in fetched}  # image never pulled: no log to ask for
    assert all(p["tailLines"] == "5" for p in fetched)


def test_a_second_scan_does_not_inflate_counts(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(*EVERY_KIND)
    config = ScanConfig(log_center_url=gw.url)
    first = run_scan(config)
    second = run_scan(config)
    assert second["reported"] == first["reported"] == 13 and second["new_bugs"] == 0
    assert {k: b["occurrence_count"] for k, b in deployment_bugs(gw.url).items()} == dict.fromkeys(EXPECTED, 1)

    # The crash loop crashes once more: that bug, and only it, counts again.
    crashing = P.crashloop(restarts=8, crashed=timedelta(minutes=1))
    cluster.add(crashing)
    run_scan(config)
    counts = {k: b["occurrence_count"] for k, b in deployment_bugs(gw.url).items()}
    assert counts.pop("shop/api/Error (exit code 1)") == 2
    assert set(counts.values()) == {1}


def test_replicas_of_one_workload_are_one_report(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(P.crashloop("api-7d4b9c6f5d-bbbbb", restarts=3), P.crashloop("api-7d4b9c6f5d-aaaaa", restarts=5),
                P.crashloop("api-7d4b9c6f5d-ccccc", restarts=4))
    summary = run_scan(ScanConfig(log_center_url=gw.url))
    assert (summary["problems_found"], summary["reported"]) == (3, 1)
    [bug] = deployment_bugs(gw.url).values()
    assert bug["context"]["pod_name"] == "api-7d4b9c6f5d-aaaaa"  # the first by name: the same every scan
    assert bug["context"]["affected_pods"] == 3 and bug["occurrence_count"] == 1


def test_a_vanished_representative_hands_over_to_the_next_replica(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(P.crashloop("api-7d4b9c6f5d-aaaaa"), P.crashloop("api-7d4b9c6f5d-bbbbb"))
    cluster.vanished_pods.add(("shop", "api-7d4b9c6f5d-aaaaa"))  # deleted between list and log fetch
    summary = run_scan(ScanConfig(log_center_url=gw.url))
    assert (summary["reported"], summary["skipped"]) == (1, 1)
    assert summary["skipped_pods"][0]["pod"] == "api-7d4b9c6f5d-aaaaa"
    [bug] = deployment_bugs(gw.url).values()
    assert bug["context"]["pod_name"] == "api-7d4b9c6f5d-bbbbb" and bug["context"]["affected_pods"] == 2


def test_unreadable_logs_and_a_forbidden_namespace_do_not_stop_the_scan(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(P.crashloop(),                                        # previous 500, current "unable to retrieve"
                P.oom_crashloop(),                                    # previous 403, current 403
                P.job_failed(),                                       # listed, then gone (404)
                P.cannot_run(namespace="secret"),                     # in a namespace we may not list
                P.bare_pod(namespace="ops"), P.healthy(namespace="ops"))
    cluster.set_log("shop", "api-7d4b9c6f5d-x2x9k", "app", previous=500,
                    current="unable to retrieve container logs for containerd://0f3c9a\n")
    cluster.set_log("shop", "worker-5f6b7c8d9-q7r2t", "worker", previous=403, current=403)
    cluster.vanished_pods.add(("shop", "migrate-4x7pq"))
    cluster.forbidden_namespaces.add("secret")

    summary = run_scan(ScanConfig(log_center_url=gw.url, namespaces=("shop", "secret", "ops")))

    assert summary["skipped_namespaces"] == [{"namespace": "secret", "status": 403, "message": summary[
        "skipped_namespaces"][0]["message"]}]
    assert "cannot list resource" in summary["skipped_namespaces"][0]["message"]
    assert [p["pod"] for p in summary["skipped_pods"]] == ["migrate-4x7pq"]
    assert summary["skipped"] == 2
    assert (summary["pods_scanned"], summary["problems_found"], summary["reported"], summary["failed"]) == (5, 4, 3, 0)
    assert summary["logs_unavailable"] == 3  # api, worker, and debug-shell (which logged nothing)
    bugs = deployment_bugs(gw.url)
    assert set(bugs) == {"shop/api/Error (exit code 1)", "shop/worker/OOMKilled", "ops/debug-shell/Error (exit code 127)"}
    assert bugs["shop/api/Error (exit code 1)"]["context"]["log_tail"] == ""
    assert bugs["shop/worker/OOMKilled"]["context"]["log_source"] == "none"


def test_pods_are_listed_in_pages(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(*EVERY_KIND)
    summary = run_scan(ScanConfig(log_center_url=gw.url, page_size=3))
    lists = [params for path, params in cluster.requests if path == "/api/v1/pods"]
    assert [p["limit"] for p in lists] == ["3"] * 6
    assert [p.get("continue") for p in lists] == [None, "3", "6", "9", "12", "15"]
    assert summary["pods_scanned"] == 16 and summary["reported"] == 13


def test_log_fetches_are_bounded(cluster, run_scan, live_gateway):
    gw = live_gateway()
    for i in range(12):
        name = f"svc{i}-5d6c7b8a9-p{i:04d}"
        cluster.add(P.crashloop(name, app=f"svc{i}", rs=f"svc{i}-5d6c7b8a9", pod_hash="5d6c7b8a9"))
        cluster.set_log("shop", name, "app", previous=f"svc{i} crashed\n")
    cluster.log_delay = 0.2
    started = time.monotonic()
    summary = run_scan(ScanConfig(log_center_url=gw.url, concurrency=4))
    elapsed = time.monotonic() - started
    assert summary["reported"] == 12
    assert 2 <= cluster.max_log_inflight <= 4  # in parallel, never more than SCAN_CONCURRENCY at once
    assert 0.55 < elapsed < 10  # 12 fetches of 0.2 s, at most four at a time: at least three rounds


def test_log_center_down_is_in_the_summary(cluster, run_scan):
    cluster.add(*EVERY_KIND)
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    summary = run_scan(ScanConfig(log_center_url=dead))
    assert time.monotonic() - started < 10
    assert (summary["problems_found"], summary["reported"], summary["failed"]) == (13, 0, 13)
    assert summary["log_center"] == "unreachable"
    assert any("cannot reach Log Center" in e for e in summary["errors"])


def test_ingest_token_is_sent(cluster, run_scan, live_gateway, tmp_path):
    gw = live_gateway(env={"LOGCENTER_INGEST_TOKEN": "ingest-s3cret"})
    cluster.add(P.crashloop())
    refused = run_scan(ScanConfig(log_center_url=gw.url, log_center_token="wrong"))
    assert (refused["reported"], refused["failed"], refused["log_center"]) == (0, 1, "errors")
    assert "401" in refused["errors"][0]
    (tmp_path / "logcenter-ingest-token").write_text("ingest-s3cret\n")
    config = ScanConfig.from_env({"LOG_CENTER_URL": gw.url, "LOGCENTER_SECRETS_DIR": str(tmp_path)})
    accepted = run_scan(config)
    assert (accepted["reported"], accepted["failed"]) == (1, 0)
    r = requests.get(f"{gw.url}/api/v1/bugs", params={"source": "deployment"}, timeout=10)
    assert r.json()["total"] == 1


def test_just_started_pods_are_reported_once_the_grace_period_is_over(cluster, run_scan, live_gateway):
    gw = live_gateway()
    cluster.add(P.just_started())
    config = ScanConfig(log_center_url=gw.url)
    assert run_scan(config)["problems_found"] == 0
    later = run_scan(config, now=P.NOW + timedelta(minutes=5))
    assert later["reported"] == 1 and later["by_type"] == {"ErrImagePull": 1}
