"""Which pods are broken, and why. Works on pods as the Kubernetes API returns them (JSON).

Rules (containers and init containers alike; one problem per container):

- waiting `CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `InvalidImageName`,
  `CreateContainerConfigError`, `CreateContainerError`, `RunContainerError`;
  `ImagePullBackOff` and `ErrImagePull` only once the pod is older than
  IMAGE_PULL_GRACE_SECONDS (a pull that is merely slow right after start is no bug);
  `InvalidImageName` never heals, so it is reported at once;
- terminated — the current state, else the last state — with `OOMKilled`,
  `ContainerCannotRun`, or `Error` with a non-zero exit code;
- the pod `Evicted`;
- the pod unschedulable (`PodScheduled=False`, reason `Unschedulable`) for longer than
  UNSCHEDULABLE_GRACE_SECONDS.

Not errors: pods in phase `Succeeded` (completed Jobs), exit code 0 / `Completed`,
pods being deleted (`deletionTimestamp` set: their containers are stopped on purpose).

`error_type` is the root cause, `reason` what Kubernetes shows: a container waiting in
`CrashLoopBackOff` whose last termination was `OOMKilled` (or `ContainerCannotRun`) has
error_type `OOMKilled` (resp. `ContainerCannotRun`) and reason `CrashLoopBackOff`, so an
out-of-memory crash loop is one OOMKilled bug whether the scan sees the container waiting,
running again, or just killed. Any other crash loop is `CrashLoopBackOff`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

WAITING_REASONS = frozenset({
    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
})
IMAGE_PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull"})
# A crash loop whose last termination was one of these is reported as that root cause.
ROOT_CAUSE_TERMINATIONS = frozenset({"OOMKilled", "ContainerCannotRun"})
# Only these waiting reasons mean the container ran and may have a log worth fetching.
RAN_BEFORE = frozenset({"CrashLoopBackOff"})


@dataclass
class Problem:
    namespace: str
    pod_name: str
    container_name: str | None
    error_type: str
    reason: str
    message: str
    restart_count: int = 0
    exit_code: int | None = None
    node_name: str | None = None
    image: str | None = None
    init_container: bool = False
    fetch_logs: bool = False
    # filled in by the scanner
    deployment_name: str = ""
    workload_kind: str = ""
    project_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _is_failure(terminated: dict[str, Any] | None) -> bool:
    if not terminated:
        return False
    reason = terminated.get("reason")
    if reason in ("OOMKilled", "ContainerCannotRun"):
        return True
    return reason == "Error" and (terminated.get("exitCode") or 0) != 0


def _describe_termination(t: dict[str, Any]) -> str:
    text = f"{t.get('reason') or 'terminated'} (exit code {t.get('exitCode')})"
    if t.get("message"):
        text += f": {t['message'].strip()}"
    return text


def _memory_limit(spec_container: dict[str, Any]) -> str | None:
    return ((spec_container.get("resources") or {}).get("limits") or {}).get("memory")


def detect(pod: dict[str, Any], now: datetime, image_pull_grace: float,
           unschedulable_grace: float) -> list[Problem]:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    if meta.get("deletionTimestamp") or status.get("phase") == "Succeeded":
        return []
    node = spec.get("nodeName")
    started = parse_time(status.get("startTime")) or parse_time(meta.get("creationTimestamp"))
    age = (now - started).total_seconds() if started else float("inf")

    if status.get("reason") == "Evicted":
        return [Problem(namespace, name, None, "Evicted", "Evicted",
                        status.get("message") or f"pod {namespace}/{name} was evicted",
                        node_name=node)]

    problems: list[Problem] = []
    for init, key, spec_key in ((True, "initContainerStatuses", "initContainers"),
                                (False, "containerStatuses", "containers")):
        specs = {c.get("name"): c for c in spec.get(spec_key) or []}
        for cs in status.get(key) or []:
            problem = _container_problem(cs, specs.get(cs.get("name")) or {}, init, age, image_pull_grace)
            if problem is not None:
                problem.namespace, problem.pod_name, problem.node_name = namespace, name, node
                problems.append(problem)
    if problems:
        return problems

    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" \
                and cond.get("reason") == "Unschedulable":
            since = parse_time(cond.get("lastTransitionTime")) or started
            waited = (now - since).total_seconds() if since else float("inf")
            if waited >= unschedulable_grace:
                return [Problem(namespace, name, None, "Unschedulable", "Unschedulable",
                                cond.get("message") or f"pod {namespace}/{name} cannot be scheduled",
                                node_name=node)]
    return []


def _container_problem(cs: dict[str, Any], spec_c: dict[str, Any], init: bool, age: float,
                       image_pull_grace: float) -> Problem | None:
    cname = cs.get("name") or ""
    state = cs.get("state") or {}
    waiting = state.get("waiting")
    current = state.get("terminated")
    last = (cs.get("lastState") or {}).get("terminated")
    restarts = int(cs.get("restartCount") or 0)
    image = spec_c.get("image") or cs.get("image")
    label = f"{'init container' if init else 'container'} {cname}"

    if waiting and waiting.get("reason") in WAITING_REASONS:
        reason = waiting["reason"]
        if reason in IMAGE_PULL_REASONS and age < image_pull_grace:
            return None
        error_type = reason
        message = f"{label} is waiting: {reason}"
        if waiting.get("message"):
            message += f": {waiting['message'].strip()}"
        exit_code = None
        if reason == "CrashLoopBackOff":
            message = f"{label} is in CrashLoopBackOff after {restarts} restarts"
            if last:
                exit_code = last.get("exitCode")
                message += f"; last termination: {_describe_termination(last)}"
                if last.get("reason") in ROOT_CAUSE_TERMINATIONS:
                    error_type = last["reason"]
        if error_type == "OOMKilled" and _memory_limit(spec_c):
            message += f"; memory limit {_memory_limit(spec_c)}"
        return Problem("", "", cname, error_type, reason, message, restart_count=restarts,
                       exit_code=exit_code, image=image, init_container=init,
                       fetch_logs=reason in RAN_BEFORE)

    for terminated, when in ((current, "terminated"), (last, "last terminated")):
        if _is_failure(terminated):
            reason = terminated["reason"]
            message = f"{label} {when}: {_describe_termination(terminated)}"
            if reason == "OOMKilled" and _memory_limit(spec_c):
                message += f"; memory limit {_memory_limit(spec_c)}"
            return Problem("", "", cname, reason, reason, message, restart_count=restarts,
                           exit_code=terminated.get("exitCode"), image=image, init_container=init,
                           fetch_logs=True)
        if terminated is current and current and not _is_failure(current):
            # A cleanly finished container (exit 0): its last state is history, not a problem now.
            if (current.get("exitCode") or 0) == 0:
                return None
    return None
