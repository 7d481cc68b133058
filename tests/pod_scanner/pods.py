"""Pods as the Kubernetes API returns them (v1 Pod JSON), one builder per situation.

Field names, nesting and values follow what `kubectl get pod -o json` shows on K3s for
each state (containerStatuses with containerID/imageID/started, lastState.terminated with
exitCode/reason/startedAt/finishedAt, PodScheduled conditions, ownerReferences).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

NOW = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)


def ts(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(*parts: str) -> str:
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def pod(name: str, namespace: str = "default", *, app: str | None = None,
        owner: tuple[str, str] | None = None, pod_hash: str | None = None,
        containers: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
        init_containers: list[dict[str, Any]] | None = None, init_statuses: list[dict[str, Any]] | None = None,
        phase: str = "Running", age: timedelta = timedelta(hours=2), node: str | None = "k3s-node-1",
        conditions: list[dict[str, Any]] | None = None, extra_status: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None, restart_policy: str = "Always") -> dict[str, Any]:
    labels = dict(labels or {})
    if app:
        labels.setdefault("app", app)
    if pod_hash:
        labels["pod-template-hash"] = pod_hash
    meta: dict[str, Any] = {
        "name": name, "namespace": namespace, "uid": _uid(namespace, name),
        "resourceVersion": "73105", "creationTimestamp": ts(age), "labels": labels,
    }
    if owner:
        kind, owner_name = owner
        api = {"ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
               "Job": "batch/v1"}.get(kind, "v1")
        meta["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": owner_name,
                                    "uid": _uid(kind, owner_name), "controller": True,
                                    "blockOwnerDeletion": True}]
    containers = containers or [container("app")]
    spec: dict[str, Any] = {
        "containers": containers, "restartPolicy": restart_policy, "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst", "serviceAccountName": "default", "schedulerName": "default-scheduler",
        "enableServiceLinks": True, "priority": 0,
    }
    if init_containers:
        spec["initContainers"] = init_containers
    if node:
        spec["nodeName"] = node
    status: dict[str, Any] = {"phase": phase, "qosClass": "Burstable"}
    if node:
        status.update(hostIP="10.0.0.11", podIP="10.42.0.17", podIPs=[{"ip": "10.42.0.17"}], startTime=ts(age))
    status["conditions"] = conditions if conditions is not None else [
        {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts(age)}
        for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    if statuses is None and node:
        statuses = [running(c["name"], image=c["image"]) for c in containers]
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    status.update(extra_status or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def container(name: str, image: str = "registry.example.com/team/app:1.4.2", memory: str = "128Mi") -> dict[str, Any]:
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
            "resources": {"limits": {"memory": memory, "cpu": "500m"},
                          "requests": {"memory": "64Mi", "cpu": "50m"}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def _base(name: str, image: str, restarts: int, ready: bool, started: bool | None) -> dict[str, Any]:
    cs = {"name": name, "image": image,
          "imageID": f"{image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
          "containerID": f"containerd://{hashlib.sha256(name.encode()).hexdigest()}",
          "ready": ready, "restartCount": restarts, "lastState": {}}
    if started is not None:
        cs["started"] = started
    return cs


def terminated(reason: str, exit_code: int, age: timedelta = timedelta(minutes=3), message: str | None = None) -> dict[str, Any]:
    t = {"exitCode": exit_code, "reason": reason, "startedAt": ts(age + timedelta(seconds=20)),
         "finishedAt": ts(age), "containerID": "containerd://" + "ab" * 32}
    if message:
        t["message"] = message
    return {"terminated": t}


def running(name: str, image: str = "registry.example.com/team/app:1.4.2", restarts: int = 0,
            last: dict[str, Any] | None = None) -> dict[str, Any]:
    cs = _base(name, image, restarts, True, True)
    cs["state"] = {"running": {"startedAt": ts(timedelta(hours=1))}}
    if last:
        cs["lastState"] = last
    return cs


def waiting(name: str, reason: str, message: str = "", image: str = "registry.example.com/team/app:1.4.2",
            restarts: int = 0, last: dict[str, Any] | None = None) -> dict[str, Any]:
    cs = _base(name, image, restarts, False, False)
    cs["state"] = {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}}
    if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"):
        cs.pop("containerID")
        cs["imageID"] = ""
    if last:
        cs["lastState"] = last
    return cs


def dead(name: str, reason: str, exit_code: int, image: str = "registry.example.com/team/app:1.4.2",
         restarts: int = 0) -> dict[str, Any]:
    cs = _base(name, image, restarts, False, False)
    cs["state"] = terminated(reason, exit_code)
    return cs


# ---------------------------------------------------------------- one pod per situation

def crashloop(name="api-7d4b9c6f5d-x2x9k", namespace="shop", app="rtc-backend", restarts=7,
              last_reason="Error", exit_code=1, rs="api-7d4b9c6f5d", pod_hash="7d4b9c6f5d",
              crashed=timedelta(minutes=3)):
    return pod(name, namespace, app=app, owner=("ReplicaSet", rs), pod_hash=pod_hash,
               statuses=[waiting("app", "CrashLoopBackOff",
                                 f"back-off 5m0s restarting failed container=app pod={name}_{namespace}",
                                 restarts=restarts, last=terminated(last_reason, exit_code, crashed))])


def oom_crashloop(name="worker-5f6b7c8d9-q7r2t", namespace="shop", restarts=4):
    return pod(name, namespace, app="worker", owner=("ReplicaSet", "worker-5f6b7c8d9"), pod_hash="5f6b7c8d9",
               containers=[container("worker", memory="64Mi")],
               statuses=[waiting("worker", "CrashLoopBackOff", "back-off 2m40s restarting failed container",
                                 restarts=restarts, last=terminated("OOMKilled", 137))])


def oom_running(name="cache-0", namespace="shop"):
    return pod(name, namespace, app="cache", owner=("StatefulSet", "cache"),
               statuses=[running("app", restarts=1, last=terminated("OOMKilled", 137, timedelta(minutes=5)))])


def image_pull(name="web-6c9d8b7f4-abcde", namespace="shop", age=timedelta(minutes=20), reason="ImagePullBackOff"):
    image = "registry.example.com/team/web:does-not-exist"
    return pod(name, namespace, app="web", owner=("ReplicaSet", "web-6c9d8b7f4"), pod_hash="6c9d8b7f4", age=age,
               containers=[container("web", image=image)],
               statuses=[waiting("web", reason, f'Back-off pulling image "{image}"', image=image)],
               phase="Pending")


def invalid_image(name="bad-image-5d4c3b2a1-zzzzz", namespace="shop"):
    image = "registry.example.com/team/UPPER:case"
    return pod(name, namespace, app="bad-image", owner=("ReplicaSet", "bad-image-5d4c3b2a1"), pod_hash="5d4c3b2a1",
               containers=[container("app", image=image)], age=timedelta(seconds=30), phase="Pending",
               statuses=[waiting("app", "InvalidImageName",
                                 f'Failed to apply default image tag "{image}": couldn\'t parse image name', image=image)])


def config_error(name="mailer-7b8c9d0e1-mmmmm", namespace="shop", reason="CreateContainerConfigError"):
    return pod(name, namespace, app="mailer", owner=("ReplicaSet", "mailer-7b8c9d0e1"), pod_hash="7b8c9d0e1",
               phase="Pending", statuses=[waiting("app", reason, 'secret "mailer-smtp" not found')])


def job_failed(name="migrate-4x7pq", namespace="shop"):
    return pod(name, namespace, app="migrate", owner=("Job", "migrate"), phase="Failed", restart_policy="Never",
               statuses=[dead("app", "Error", 2)])


def cronjob_failed(name="backup-29015460-8vh2c", namespace="ops"):
    return pod(name, namespace, app="backup", owner=("Job", "backup-29015460"), phase="Failed",
               restart_policy="Never", statuses=[dead("app", "Error", 1)])


def cannot_run(name="agent-x8z7q", namespace="kube-system"):
    return pod(name, namespace, app="agent", owner=("DaemonSet", "agent"),
               statuses=[waiting("app", "CrashLoopBackOff", "back-off 10s", restarts=2,
                                 last=terminated("ContainerCannotRun", 128,
                                                 message='exec: "/bin/agentd": no such file or directory'))])


def init_crash(name="report-6d5c4b3a2-iiiii", namespace="shop"):
    return pod(name, namespace, app="report", owner=("ReplicaSet", "report-6d5c4b3a2"), pod_hash="6d5c4b3a2",
               phase="Pending", init_containers=[container("wait-db")],
               init_statuses=[waiting("wait-db", "CrashLoopBackOff", "back-off 40s", restarts=3,
                                      last=terminated("Error", 1))],
               statuses=[waiting("app", "PodInitializing")])


def evicted(name="search-58c7d9b6f4-evict", namespace="shop"):
    return pod(name, namespace, app="search", owner=("ReplicaSet", "search-58c7d9b6f4"), pod_hash="58c7d9b6f4",
               phase="Failed", statuses=[dead("app", "Error", 137)],
               extra_status={"reason": "Evicted",
                             "message": "The node was low on resource: memory. Threshold quantity: 100Mi, "
                                        "available: 91864Ki. Container app was using 1203940Ki, request is 64Mi."})


def unschedulable(name="gpu-job-7f8e9d0c1-uuuuu", namespace="ml", waited=timedelta(minutes=30)):
    return pod(name, namespace, app="gpu-job", owner=("ReplicaSet", "gpu-job-7f8e9d0c1"), pod_hash="7f8e9d0c1",
               phase="Pending", node=None, age=waited,
               conditions=[{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                            "lastTransitionTime": ts(waited), "reason": "Unschedulable",
                            "message": "0/1 nodes are available: 1 Insufficient nvidia.com/gpu. "
                                       "preemption: 0/1 nodes are available: 1 No preemption victims found."}])


def healthy(name="api-7d4b9c6f5d-healthy", namespace="shop", app="rtc-backend"):
    return pod(name, namespace, app=app, owner=("ReplicaSet", "api-7d4b9c6f5d"), pod_hash="7d4b9c6f5d")


def completed_job(name="report-job-29015400-k2l3m", namespace="ops"):
    return pod(name, namespace, app="report-job", owner=("Job", "report-job-29015400"), phase="Succeeded",
               restart_policy="Never", statuses=[dead("app", "Completed", 0)])


def just_started(name="new-7a6b5c4d3-fresh", namespace="shop"):
    image = "registry.example.com/team/new:2.0.0"
    return pod(name, namespace, app="new", owner=("ReplicaSet", "new-7a6b5c4d3"), pod_hash="7a6b5c4d3",
               age=timedelta(seconds=20), phase="Pending", containers=[container("app", image=image)],
               statuses=[waiting("app", "ErrImagePull", f'rpc error: pulling "{image}": i/o timeout', image=image)])


def bare_pod(name="debug-shell", namespace="default"):
    return pod(name, namespace, statuses=[dead("shell", "Error", 127)], containers=[container("shell")],
               phase="Failed", restart_policy="Never")
