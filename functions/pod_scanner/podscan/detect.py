"""Which pods are broken, and why. Works on pods as the Kubernetes API returns them (JSON).

Rules (containers and init containers alike; one problem per container). docs/deploy.md
"What the scanner reports" is the user's version of this list.

- **Named by cause.** A crash loop alternates between `waiting: CrashLoopBackOff` and
  `terminated: Error` (or `OOMKilled`, `StartError`, …) from one scan to the next. Both
  moments give the same `error_type` — the termination's reason, with the exit code for
  `Error` (`Error (exit code 1)`) — so one failing container is one bug. What Kubernetes
  shows right now goes into the context as `loop_state`. `reason` is the cause too, so the
  server's re-scan rule (pod, restart count, reason) sees one crash once whichever moment a
  scan catches; `termination.finished_at` identifies the crash across the restart that follows.
- **Start failures.** containerd/CRI-O report a container that cannot start as
  `StartError` (exit code 128, "failed to create containerd task … OCI runtime create
  failed …"), Docker as `ContainerCannotRun`; waiting `RunContainerError`,
  `CreateContainerError` and `CreateContainerConfigError` are reported too. For Deployments,
  Jobs and CronJobs alike.
- **Now versus then.** Currently failing (waiting in one of WAITING_REASONS, or terminated
  with a failure, the pod evicted or unschedulable) is CRITICAL. A container running again
  after a failure is reported only when that termination finished within LOOKBACK_SECONDS:
  WARNING when it is Ready again, ERROR while it is not. Older terminations are history.
- **Stuck rollouts** (WARNING): a pod still initialising INIT_GRACE_SECONDS after it started
  (`InitStuck`), and one whose containers all run but that has not been Ready for
  READY_GRACE_SECONDS (`NotReady`).
- Image pulls (`ImagePullBackOff`, `ErrImagePull`) only once the pod is older than
  IMAGE_PULL_GRACE_SECONDS; `InvalidImageName` at once; `Unschedulable` after
  UNSCHEDULABLE_GRACE_SECONDS.

Not errors: pods in phase `Succeeded`, exit code 0 / `Completed` (unless it is a crash loop:
a long-running container that keeps exiting 0), pods being deleted.

The message is one line (≤ 300 characters): cause, exit code, container and the first
meaningful line of the termination message; the whole termination message is in the
context (`termination.message`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

WAITING_REASONS = frozenset({
    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
})
IMAGE_PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull"})
# Waiting reasons that follow a termination: the termination is the cause.
AFTER_A_TERMINATION = frozenset({"CrashLoopBackOff", "RunContainerError"})
# Only these mean the container process ran and may have a log worth fetching.
RAN_BEFORE = frozenset({"CrashLoopBackOff"})
# Terminations that are failures whatever the exit code says (an OOM kill can report 0).
FAILED_REASONS = frozenset({"OOMKilled", "ContainerCannotRun", "StartError", "DeadlineExceeded"})
MESSAGE_LIMIT = 300
TERMINATION_MESSAGE_LIMIT = 16384
# The innermost cause of an OCI runtime error ("… unable to start container process: exec: …").
_OCI_CAUSE = re.compile(r".*(?:OCI runtime create failed|unable to start container process|container init caused|"
                        r"error during container init): ")


_START_FAILURE = re.compile(r"failed to (create containerd task|create shim task|start container)|"
                            r"OCI runtime (create|start) failed|container create failed")


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
    level: str = "CRITICAL"
    loop_state: str = ""
    termination: dict[str, Any] | None = None
    # filled in by the scanner
    version: str | None = None
    commit_hash: str | None = None
    group_level: str | None = None
    deployment_name: str = ""
    workload_kind: str = ""
    project_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    image_pull_grace: float = 180
    unschedulable_grace: float = 300
    lookback: float = 900
    init_grace: float = 600
    ready_grace: float = 600


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _seconds_since(now: datetime, value: str | None) -> float | None:
    when = parse_time(value)
    return (now - when).total_seconds() if when else None


def is_failure(terminated: dict[str, Any] | None) -> bool:
    if not terminated:
        return False
    return terminated.get("reason") in FAILED_REASONS or (terminated.get("exitCode") or 0) != 0


def cause_of(terminated: dict[str, Any]) -> str:
    """The error type of a termination: its reason, with the exit code when the reason is
    as vague as `Error` (a container exiting 1 and one exiting 137 are different bugs)."""
    reason = terminated.get("reason") or "Terminated"
    if reason in FAILED_REASONS:
        return reason
    return f"{reason} (exit code {terminated.get('exitCode')})"


def first_meaningful_line(text: str | None) -> str:
    """The line of a termination message a person reads first: a Go panic's `panic:` line,
    a Python traceback's exception, an OCI error's innermost cause."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    if lines[0].startswith("Traceback (most recent call last)"):
        for line in reversed(lines):
            if not line.startswith(("File ", "Traceback")) and re.match(r"^[\w.]+(Error|Exception|Exit)\b", line):
                return line
        return lines[-1]
    first = lines[0]
    if _START_FAILURE.search(first) or "unable to start container process" in first:
        inner = _OCI_CAUSE.sub("", first)
        if inner and inner != first:
            # CRI-O quotes runc's message: `… msg="runc create failed: … exec: \"x\": …"`
            return inner.removesuffix(": unknown").rstrip('"').replace('\\"', '"')
    return first


def one_line(*parts: str) -> str:
    text = " ".join(" ".join(p.split()) for p in parts if p)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def termination_context(t: dict[str, Any]) -> dict[str, Any]:
    message = t.get("message")
    if message and len(message) > TERMINATION_MESSAGE_LIMIT:
        message = message[:TERMINATION_MESSAGE_LIMIT]
    return {"reason": t.get("reason"), "exit_code": t.get("exitCode"), "signal": t.get("signal"),
            "started_at": t.get("startedAt"), "finished_at": t.get("finishedAt"),
            "container_id": t.get("containerID"), "message": message}


def _memory_limit(spec_container: dict[str, Any]) -> str | None:
    return ((spec_container.get("resources") or {}).get("limits") or {}).get("memory")


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def detect(pod: dict[str, Any], now: datetime, image_pull_grace: float = 180,
           unschedulable_grace: float = 300, *, rules: Rules | None = None) -> list[Problem]:
    rules = rules or Rules(image_pull_grace=image_pull_grace, unschedulable_grace=unschedulable_grace)
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
                        one_line(status.get("message") or f"pod {namespace}/{name} was evicted"),
                        node_name=node, loop_state="Evicted")]

    problems: list[Problem] = []
    for init, key, spec_key in ((True, "initContainerStatuses", "initContainers"),
                                (False, "containerStatuses", "containers")):
        specs = {c.get("name"): c for c in spec.get(spec_key) or []}
        for cs in status.get(key) or []:
            problem = _container_problem(cs, specs.get(cs.get("name")) or {}, init, age, now, rules)
            if problem is not None:
                problem.namespace, problem.pod_name, problem.node_name = namespace, name, node
                problems.append(problem)
    if problems:
        return problems

    scheduled = _condition(status, "PodScheduled")
    if scheduled and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        waited = _seconds_since(now, scheduled.get("lastTransitionTime"))
        if (waited if waited is not None else age) >= rules.unschedulable_grace:
            return [Problem(namespace, name, None, "Unschedulable", "Unschedulable",
                            one_line(scheduled.get("message") or f"pod {namespace}/{name} cannot be scheduled"),
                            node_name=node, loop_state="Pending")]
        return []
    stuck = _init_stuck(pod, status, age, rules) or _not_ready(pod, status, now, age, rules)
    if stuck is not None:
        stuck.namespace, stuck.pod_name, stuck.node_name = namespace, name, node
        return [stuck]
    return []


def _container_problem(cs: dict[str, Any], spec_c: dict[str, Any], init: bool, age: float,
                       now: datetime, rules: Rules) -> Problem | None:
    cname = cs.get("name") or ""
    state = cs.get("state") or {}
    waiting = state.get("waiting")
    current = state.get("terminated")
    last = (cs.get("lastState") or {}).get("terminated")
    restarts = int(cs.get("restartCount") or 0)
    image = spec_c.get("image") or cs.get("image")
    label = f"{'init container' if init else 'container'} {cname}"
    memory = _memory_limit(spec_c)

    def crashed(t: dict[str, Any], loop_state: str, level: str, fetch: bool) -> Problem:
        error_type = cause_of(t)
        detail = first_meaningful_line(t.get("message"))
        extra = f"memory limit {memory}" if t.get("reason") == "OOMKilled" and memory else ""
        message = one_line(f"{t.get('reason') or 'Terminated'} (exit code {t.get('exitCode')}) in {label}"
                           f"{f' ({loop_state})' if loop_state not in ('terminated', '') else ''}"
                           f"{f', {restarts} restart' + ('s' if restarts > 1 else '') if restarts else ''}{'; ' + extra if extra else ''}"
                           f"{': ' + detail if detail else ''}")
        return Problem("", "", cname, error_type, t.get("reason") or "Terminated", message,
                       restart_count=restarts, exit_code=t.get("exitCode"), image=image, init_container=init,
                       fetch_logs=fetch, level=level, loop_state=loop_state, termination=termination_context(t))

    if waiting and waiting.get("reason") in WAITING_REASONS:
        reason = waiting["reason"]
        if reason in IMAGE_PULL_REASONS and age < rules.image_pull_grace:
            return None
        if reason in AFTER_A_TERMINATION and last and (is_failure(last) or reason == "CrashLoopBackOff"):
            # The crash loop of a container that keeps failing — or keeps exiting 0 under
            # restartPolicy Always, which is a crash loop too.
            return crashed(last, reason, "CRITICAL", reason in RAN_BEFORE)
        detail = first_meaningful_line(waiting.get("message"))
        error_type = reason
        if reason == "RunContainerError" and _START_FAILURE.search(waiting.get("message") or ""):
            # containerd/CRI-O's start failure before its StartError termination is recorded:
            # the same bug as the StartError moments that follow.
            error_type = "StartError"
        return Problem("", "", cname, error_type, reason,
                       one_line(f"{label} is waiting: {reason}", f"({restarts} restarts)" if restarts else "",
                                f": {detail}" if detail else ""),
                       restart_count=restarts, image=image, init_container=init,
                       fetch_logs=reason in RAN_BEFORE, loop_state=reason,
                       extra={"waiting_message": waiting.get("message")} if waiting.get("message") else {})

    if current is not None:
        return crashed(current, "terminated", "CRITICAL", True) if is_failure(current) else None

    if is_failure(last):
        since = _seconds_since(now, last.get("finishedAt"))
        if since is None or since > rules.lookback:
            return None  # an old crash of a container that has been fine since: history
        ready = bool(cs.get("ready"))
        return crashed(last, "running" if state.get("running") else "restarting",
                       "WARNING" if ready else "ERROR", True)
    return None


def _init_stuck(pod: dict[str, Any], status: dict[str, Any], age: float, rules: Rules) -> Problem | None:
    """Init containers still running (or waiting) long after the pod started."""
    if status.get("phase") not in ("Pending", None) or age < rules.init_grace:
        return None
    initialized = _condition(status, "Initialized")
    if not (pod.get("spec") or {}).get("initContainers") or (initialized and initialized.get("status") == "True"):
        return None
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    for cs in status.get("initContainerStatuses") or []:
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated and (terminated.get("exitCode") or 0) == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            continue  # a native sidecar that is up counts as done
        what = "running" if (cs.get("state") or {}).get("running") else \
            ((cs.get("state") or {}).get("waiting") or {}).get("reason") or "not started"
        return Problem("", "", cs.get("name"), "InitStuck", "PodInitializing",
                       one_line(f"pod still initialising after {_duration(age)}: init container "
                                f"{cs.get('name')} is {what}"),
                       restart_count=int(cs.get("restartCount") or 0), image=cs.get("image"),
                       init_container=True, fetch_logs=bool((cs.get("state") or {}).get("running")),
                       level="WARNING", loop_state="PodInitializing")
    return None


def _not_ready(pod: dict[str, Any], status: dict[str, Any], now: datetime, age: float,
               rules: Rules) -> Problem | None:
    """Running, never crashing, but not Ready for longer than the grace: a rollout that never
    becomes healthy (a failing readiness probe, a readiness gate never met)."""
    if status.get("phase") != "Running" or age < rules.ready_grace:
        return None
    ready = _condition(status, "Ready")
    if ready is None or ready.get("status") != "False":
        return None
    since = _seconds_since(now, ready.get("lastTransitionTime"))
    if since is not None and since < rules.ready_grace:
        return None
    waited = since if since is not None else age
    for cs in status.get("containerStatuses") or []:
        if not cs.get("ready") and (cs.get("state") or {}).get("running"):
            return Problem("", "", cs.get("name"), "NotReady", ready.get("reason") or "ContainersNotReady",
                           one_line(f"container {cs.get('name')} has been running but not Ready for "
                                    f"{_duration(waited)}", f"({ready['message']})" if ready.get("message") else ""),
                           restart_count=int(cs.get("restartCount") or 0), image=cs.get("image"),
                           fetch_logs=True, level="WARNING", loop_state="running")
    return None


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "a long time"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes < 2880 else f"{minutes // 1440} days"
