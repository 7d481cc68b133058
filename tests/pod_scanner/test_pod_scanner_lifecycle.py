"""Now versus then, stuck rollouts, one-line messages, static pods, versions, settings, and
the retry that keeps its event_id (issue 12 items 2-6, issue 15's deployment versions)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from functions.pod_scanner.podscan.config import ConfigError, ScanConfig
from functions.pod_scanner.podscan.detect import Rules, detect
from functions.pod_scanner.podscan.report import Reporter
from functions.pod_scanner.podscan.workload import image_tag, release_of, workload_of
from tests.pod_scanner import pods as P

RULES = Rules()


def found(pod, now=P.NOW, rules=RULES):
    return [(p.container_name, p.error_type, p.level) for p in detect(pod, now, rules=rules)]


# ------------------------------------------------------------------ item 1: start failures

CONTAINERD_START = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                    'runc create failed: unable to start container process: exec: "/app/server": stat '
                    '/app/server: no such file or directory: unknown')


def test_every_moment_of_a_containerd_start_failure_is_one_start_error():
    """RunContainerError (before the termination is recorded), terminated StartError, then
    CrashLoopBackOff / RunContainerError with that StartError as the last state."""
    start = P.terminated("StartError", 128, message=CONTAINERD_START)
    moments = [
        P.pod("api-1", statuses=[P.waiting("app", "RunContainerError", CONTAINERD_START)]),
        P.pod("api-1", statuses=[dict(P.dead("app", "StartError", 128), state=start)]),
        P.pod("api-1", statuses=[P.waiting("app", "CrashLoopBackOff", "back-off 20s", restarts=1, last=start)]),
        P.pod("api-1", statuses=[P.waiting("app", "RunContainerError", CONTAINERD_START, restarts=2, last=start)]),
    ]
    seen = [detect(pod, P.NOW, rules=RULES) for pod in moments]
    assert [[(p.error_type, p.level) for p in ps] for ps in seen] == [[("StartError", "CRITICAL")]] * 4
    assert all('exec: "/app/server": stat /app/server: no such file or directory' in ps[0].message for ps in seen)
    assert [ps[0].loop_state for ps in seen] == ["RunContainerError", "terminated", "CrashLoopBackOff",
                                                 "RunContainerError"]
    # CRI-O quotes runc's message inside its own
    crio = ('container create failed: time="2024-03-01T10:00:00Z" level=error msg="runc create failed: unable to '
            'start container process: exec: \\"/bin/agentd\\": stat /bin/agentd: no such file or directory"')
    [p] = detect(P.pod("agent-1", statuses=[P.waiting("app", "CreateContainerError", crio)]), P.NOW, rules=RULES)
    assert p.error_type == "CreateContainerError"
    assert p.message.endswith(': exec: "/bin/agentd": stat /bin/agentd: no such file or directory')
    # Docker's wording keeps its own name, and a config error is not a start failure
    assert found(P.config_error(reason="RunContainerError")) == [("app", "RunContainerError", "CRITICAL")]


# ------------------------------------------------------------------ item 3: now versus then

@pytest.mark.parametrize("finished, expected", [
    (timedelta(days=5), []),                                   # an OOM kill five days ago
    (timedelta(hours=4), []),                                  # restarts four hours ago
    (timedelta(minutes=16), []),                               # just outside LOOKBACK_SECONDS (15 min)
    (timedelta(minutes=4), [("app", "OOMKilled", "WARNING")]),  # recent, Ready again: a warning
])
def test_a_past_termination_counts_only_within_the_look_back_window(finished, expected):
    pod = P.pod("cache-0", statuses=[P.running("app", restarts=2, last=P.terminated("OOMKilled", 137, finished))])
    assert found(pod) == expected


def test_the_window_is_a_setting():
    pod = P.pod("cache-0", statuses=[P.running("app", restarts=2, last=P.terminated("OOMKilled", 137,
                                                                                   timedelta(hours=4)))])
    assert found(pod, rules=Rules(lookback=6 * 3600)) == [("app", "OOMKilled", "WARNING")]


def test_a_restarted_container_not_ready_yet_is_an_error_and_a_failing_one_critical():
    restarted = P.running("app", restarts=3, last=P.terminated("Error", 2, timedelta(minutes=2)))
    restarted["ready"] = False
    assert found(P.pod("svc", statuses=[restarted])) == [("app", "Error (exit code 2)", "ERROR")]
    assert found(P.crashloop()) == [("app", "Error (exit code 1)", "CRITICAL")]


def test_a_sidecar_that_restarted_once_long_ago_is_not_a_bug():
    pod = P.pod("web-1", containers=[P.container("web"), P.container("envoy")],
                statuses=[P.running("web"), P.running("envoy", restarts=1,
                                                      last=P.terminated("Error", 1, timedelta(hours=30)))])
    assert found(pod) == []


# --------------------------------------------------------------- item 5: one-line messages

GO_STACK = "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\n" + \
    "".join(f"main.handler{i}(0xc000{i:04x})\n\t/src/app/handler.go:{40 + i} +0x{i:03x}\n" for i in range(60))


def test_the_message_is_one_line_and_the_whole_termination_message_is_in_the_context():
    assert len(GO_STACK) > 2000
    pod = P.crashloop()
    pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["message"] = GO_STACK
    [p] = detect(pod, P.NOW, rules=RULES)
    assert p.message == ("Error (exit code 1) in container app (CrashLoopBackOff), 7 restarts: "
                         "panic: runtime error: index out of range [3] with length 3")
    assert p.termination["message"] == GO_STACK and p.termination["exit_code"] == 1
    long_line = "x" * 5000
    pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["message"] = long_line
    [p] = detect(pod, P.NOW, rules=RULES)
    assert len(p.message) == 300 and p.message.endswith("…")


def test_a_python_traceback_gives_its_exception_line():
    pod = P.job_failed()
    pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = \
        'Traceback (most recent call last):\n  File "/app/migrate.py", line 9, in <module>\n    run()\n' \
        'sqlalchemy.exc.OperationalError: could not connect to server\n'
    [p] = detect(pod, P.NOW, rules=RULES)
    assert p.message.endswith(": sqlalchemy.exc.OperationalError: could not connect to server")


# ------------------------------------------------------------------ item 6: stuck rollouts

def _initialising(age: timedelta):
    return P.pod("report-6d5c4b3a2-slow", app="report", owner=("ReplicaSet", "report-6d5c4b3a2"),
                 pod_hash="6d5c4b3a2", phase="Pending", age=age, init_containers=[P.container("wait-db")],
                 init_statuses=[P.running("wait-db")], statuses=[P.waiting("app", "PodInitializing")],
                 conditions=[{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                              "lastTransitionTime": P.ts(age)}])


def test_a_pod_initialising_past_the_grace_is_init_stuck():
    assert found(_initialising(timedelta(minutes=5))) == []
    [p] = detect(_initialising(timedelta(minutes=25)), P.NOW, rules=RULES)
    assert (p.error_type, p.level, p.container_name, p.init_container) == ("InitStuck", "WARNING", "wait-db", True)
    assert p.message == "pod still initialising after 25 min: init container wait-db is running"
    assert found(_initialising(timedelta(minutes=25)), rules=Rules(init_grace=3600)) == []


def _never_ready(since: timedelta):
    cs = P.running("app")
    cs["ready"] = False
    return P.pod("api-7d4b9c6f5d-noready", app="api", owner=("ReplicaSet", "api-7d4b9c6f5d"), pod_hash="7d4b9c6f5d",
                 age=since, statuses=[cs],
                 conditions=[{"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                              "message": "containers with unready status: [app]", "lastTransitionTime": P.ts(since)}])


def test_a_rollout_that_never_becomes_ready_is_not_ready():
    assert found(_never_ready(timedelta(minutes=3))) == []
    [p] = detect(_never_ready(timedelta(minutes=40)), P.NOW, rules=RULES)
    assert (p.error_type, p.level, p.container_name) == ("NotReady", "WARNING", "app")
    assert "not Ready for 40 min" in p.message and "unready status: [app]" in p.message


def test_replica_set_names_whose_hash_differs_from_the_label():
    pod = P.crashloop(rs="checkout-7c9f8d6b54", pod_hash="3771652910")
    assert workload_of(pod) == ("Deployment", "checkout")
    by_hand = P.pod("rs-by-hand-x1", owner=("ReplicaSet", "rs-by-hand"))
    assert workload_of(by_hand) == ("ReplicaSet", "rs-by-hand")
    words = P.pod("x", owner=("ReplicaSet", "payment-backend"))         # vowels: a name, not a hash
    assert workload_of(words) == ("ReplicaSet", "payment-backend")


# -------------------------------------------------------------------- item 4: static pods

def test_static_pods_are_named_without_the_node_suffix():
    for component in ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager"):
        pod = P.pod(f"{component}-cp-1", namespace="kube-system", node="cp-1", owner=("Node", "cp-1"))
        assert workload_of(pod) == ("StaticPod", component)
    legacy = P.pod("etcd-cp-2", namespace="kube-system", node="cp-2")   # before mirror owner references
    legacy["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    assert workload_of(legacy) == ("StaticPod", "etcd")


# --------------------------------------------------------------------------- versions

@pytest.mark.parametrize("image, tag", [
    ("registry.example.com/team/app:1.4.2", "1.4.2"),
    ("registry.example.com:5000/team/app:2.0.0-rc.1@sha256:" + "a" * 64, "2.0.0-rc.1"),
    ("registry.example.com:5000/team/app", None),
    ("app:latest", None),
    ("app@sha256:" + "b" * 64, None),
    (None, None),
])
def test_image_tags(image, tag):
    assert image_tag(image) == tag


def test_release_labels_win_over_the_tag():
    pod = P.crashloop()
    assert release_of(pod, "registry.example.com/team/app:1.4.2") == ("1.4.2", None)
    pod["metadata"]["labels"]["app.kubernetes.io/version"] = "1.5.0"
    pod["metadata"]["annotations"] = {"logcenter.io/commit": "9F2C1E0B7D"}
    assert release_of(pod, "registry.example.com/team/app:1.4.2") == ("1.5.0", "9f2c1e0b7d")
    pod["metadata"]["annotations"] = {"logcenter.io/commit": "not a sha"}
    assert release_of(pod, None) == ("1.5.0", None)


# --------------------------------------------------------------------------- settings

def test_look_back_and_grace_settings_from_the_environment():
    config = ScanConfig.from_env({"LOOKBACK_SECONDS": "1800", "INIT_GRACE_SECONDS": "120",
                                  "READY_GRACE_SECONDS": "60"})
    assert (config.lookback_seconds, config.init_grace_seconds, config.ready_grace_seconds) == (1800, 120, 60)
    assert ScanConfig.from_env({}).lookback_seconds == 900
    for bad in ({"LOOKBACK_SECONDS": "soon"}, {"READY_GRACE_SECONDS": "-1"}):
        with pytest.raises(ConfigError):
            ScanConfig.from_env(bad)


# ------------------------------------------------------------------ the retry's event_id

class _Flaky(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        first = len(self.bodies) == 1
        body = b'{"error": {"code": "unavailable", "message": "x"}}' if first else \
            b'{"id": 1, "fingerprint": "f", "status": "NEW", "is_new": true, "occurrence_count": 1}'
        self.send_response(503 if first else 201)
        if first:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # noqa: ANN002
        pass


def test_a_retried_report_keeps_its_event_id():
    from functions.pod_scanner.podscan.scan import build_payload

    _Flaky.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = ScanConfig(log_center_url=f"http://127.0.0.1:{server.server_address[1]}")
        [p] = detect(P.crashloop(), P.NOW, rules=RULES)
        p.project_id, p.deployment_name = "rtc_backend", "api"
        reporter = Reporter(config)
        sent = reporter.send(build_payload(p, "", "none", config))
        reporter.close()
    finally:
        server.shutdown()
    assert sent.ok
    first, second = _Flaky.bodies
    assert first == second and len(first["event_id"]) == 32
    assert build_payload(p, "", "none", config)["event_id"] != first["event_id"]  # a new report, a new id
