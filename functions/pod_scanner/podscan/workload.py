"""Which workload a pod belongs to, and which Log Center project.

`deployment_name` is part of the deployment fingerprint, so it must stay the same
across rollouts and restarts — one bug per workload, not one per pod or ReplicaSet:

- owner ReplicaSet `api-7d4b9c6f5d` of a pod labelled `pod-template-hash: 7d4b9c6f5d`
  → Deployment `api` (the suffix is removed; no extra RBAC to read ReplicaSets). Where the
  label and the name's suffix differ (some clusters and tools hash differently), a suffix
  shaped like a template hash (6–10 characters of Kubernetes' safe alphabet, with a digit)
  is removed all the same; a ReplicaSet without such a suffix (created by hand) keeps its name;
- owner Node (a static pod's mirror: etcd, kube-apiserver, kube-scheduler, …; kubelet names
  them `<name>-<nodeName>`), or the `kubernetes.io/config.mirror` annotation → kind
  StaticPod, the name without the node suffix, so one bug covers the same component on
  every control-plane node;
- owner StatefulSet / DaemonSet / ReplicationController / anything else → its name;
- owner Job `backup-29015460` (a Job a CronJob created: name + scheduled minute) → the
  CronJob `backup`; any other Job → its own name;
- no controller owner (a bare pod) → the pod's own name.
"""

from __future__ import annotations

import re
from typing import Any

from .config import ScanConfig

_CRONJOB_SUFFIX = re.compile(r"^(?P<cronjob>.+)-\d{8,}$")
# rand.SafeEncodeString's alphabet (no vowels, no 0/1/3): what a pod-template-hash is made of.
_TEMPLATE_HASH = re.compile(r"^(?P<deployment>.+)-(?P<hash>[bcdfghjklmnpqrstvwxz2456789]{6,10})$")
_INVALID = re.compile(r"[^A-Za-z0-9_.-]+")


def _controller(meta: dict[str, Any]) -> dict[str, Any] | None:
    owners = meta.get("ownerReferences") or []
    for owner in owners:
        if owner.get("controller"):
            return owner
    return owners[0] if owners else None


def workload_of(pod: dict[str, Any]) -> tuple[str, str]:
    """(kind, name) of the workload that owns the pod."""
    meta = pod.get("metadata") or {}
    owner = _controller(meta)
    mirror = "kubernetes.io/config.mirror" in (meta.get("annotations") or {})
    if (owner is not None and owner.get("kind") == "Node") or (owner is None and mirror):
        node = (owner or {}).get("name") or (pod.get("spec") or {}).get("nodeName") or ""
        name = meta.get("name", "")
        if node and name.endswith("-" + node) and len(name) > len(node) + 1:
            name = name[: -len(node) - 1]
        return "StaticPod", name
    if owner is None or not owner.get("name"):
        return "Pod", meta.get("name", "")
    kind, name = owner.get("kind", ""), owner["name"]
    if kind == "ReplicaSet":
        pod_hash = (meta.get("labels") or {}).get("pod-template-hash")
        if pod_hash and name.endswith("-" + pod_hash):
            return "Deployment", name[: -len(pod_hash) - 1]
        shaped = _TEMPLATE_HASH.match(name)
        if shaped and any(ch.isdigit() for ch in shaped.group("hash")):
            return "Deployment", shaped.group("deployment")
        return "ReplicaSet", name
    if kind == "Job":
        match = _CRONJOB_SUFFIX.match(name)
        if match:
            return "CronJob", match.group("cronjob")
        return "Job", name
    return kind, name


def normalise_project(value: str) -> str | None:
    """`rtc-backend` → `rtc_backend`; anything left that is not a project_id → None."""
    text = _INVALID.sub("_", value.strip().replace("-", "_")).strip("_.-")[:64]
    return text or None


def project_of(pod: dict[str, Any], workload_name: str, config: ScanConfig) -> str:
    """The project_id: PROJECT_MAP, else the PROJECT_LABEL value normalised, else
    the `app.kubernetes.io/name` label, else DEFAULT_PROJECT, else the workload name."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    for label in (config.project_label, "app.kubernetes.io/name"):
        value = labels.get(label)
        if value:
            if value in config.project_map:
                return config.project_map[value]
            project = normalise_project(value)
            if project:
                return project
    if config.default_project:
        return config.default_project
    return normalise_project(workload_name) or "unknown"


# Only a real version: not `latest`, not a digest.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,40}$")


def image_tag(image: str | None) -> str | None:
    """`registry:5000/team/app:1.4.2@sha256:…` → `1.4.2`; untagged or `latest` → None."""
    if not image:
        return None
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    return tag if _TAG.match(tag) and tag != "latest" else None


def release_of(pod: dict[str, Any], image: str | None) -> tuple[str | None, str | None]:
    """`version` and `commit_hash` of the failing container (DESIGN.md "Releases"): the
    `app.kubernetes.io/version` label, else the image tag; the `logcenter.io/commit` annotation."""
    meta = pod.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    version = (labels.get("app.kubernetes.io/version") or "").strip()[:64] or image_tag(image)
    commit = (annotations.get("logcenter.io/commit") or "").strip()
    return version, commit.lower() if _COMMIT.match(commit) else None
