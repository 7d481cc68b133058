"""Which workload a pod belongs to, and which Log Center project.

`deployment_name` is part of the deployment fingerprint, so it must stay the same
across rollouts and restarts — one bug per workload, not one per pod or ReplicaSet:

- owner ReplicaSet `api-7d4b9c6f5d` of a pod labelled `pod-template-hash: 7d4b9c6f5d`
  → Deployment `api` (the suffix is removed; no extra RBAC to read ReplicaSets);
  a ReplicaSet without that suffix (created by hand) keeps its own name;
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
    if owner is None or not owner.get("name"):
        return "Pod", meta.get("name", "")
    kind, name = owner.get("kind", ""), owner["name"]
    if kind == "ReplicaSet":
        pod_hash = (meta.get("labels") or {}).get("pod-template-hash")
        if pod_hash and name.endswith("-" + pod_hash):
            return "Deployment", name[: -len(pod_hash) - 1]
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
