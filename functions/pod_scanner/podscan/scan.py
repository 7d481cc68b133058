"""One scan: list pods, detect problems, fetch their logs, report them, summarise.

Problems that share a deployment fingerprint (project, namespace, workload, error_type)
are sent as ONE report per scan, from a representative pod (the first by pod and
container name, so the same one every scan) with `affected_pods` in the context. Three
crash-looping replicas of one Deployment are one bug whose count grows by one per scan
that sees something new — not by three per scan. Together with the server's re-scan rule
(a report whose pod_name, restart_count and reason equal the bug's latest ones is not
counted), an unchanged broken pod scanned every 5 minutes keeps its count.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from .config import ScanConfig
from .detect import Problem, Rules, detect
from .kube import Kube, KubeError, load_api_client
from .report import Reporter
from .workload import project_of, release_of, workload_of

log = logging.getLogger("logcenter.pod_scanner")
MAX_ERRORS_LISTED = 20
SEVERITY = {"WARNING": 1, "ERROR": 2, "CRITICAL": 3}


class ScanFailed(Exception):
    """The scan could not run at all (no Kubernetes config, or the pod list itself failed)."""


def _key(p: Problem) -> tuple[str, str, str, str]:
    return (p.project_id, p.namespace, p.deployment_name, p.error_type)


def fetch_log(kube: Kube, p: Problem, config: ScanConfig) -> tuple[str, str, KubeError | None]:
    """(log_tail, source, last error): the previous container's log, else the current one.

    Every failure — a 400 "previous terminated container … not found", a 200 body saying
    "unable to retrieve container logs", 403, 404, a timeout — yields no log, never an
    exception. source is "previous", "current" or "none".
    """
    error: KubeError | None = None
    for previous in (True, False):
        try:
            text = kube.read_log(p.namespace, p.pod_name, p.container_name or "", previous,
                                 config.log_tail_lines, config.log_limit_bytes)
        except KubeError as exc:
            error = exc
            if exc.status == 404:  # the pod itself is gone: the current log is gone too
                break
            continue
        if text.strip():
            return text, "previous" if previous else "current", None
    return "", "none", error


def rules_of(config: ScanConfig) -> Rules:
    return Rules(image_pull_grace=config.image_pull_grace_seconds,
                 unschedulable_grace=config.unschedulable_grace_seconds, lookback=config.lookback_seconds,
                 init_grace=config.init_grace_seconds, ready_grace=config.ready_grace_seconds)


def build_payload(p: Problem, log_tail: str, log_source: str, config: ScanConfig,
                  level: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "project_id": p.project_id,
        "source": "deployment",
        "level": level or p.level,
        # One id per report, kept by the Reporter's retry: a lost answer never counts twice.
        "event_id": uuid.uuid4().hex,
        "error": {"type": p.error_type, "message": p.message},
        "context": {
            "namespace": p.namespace,
            "pod_name": p.pod_name,
            "container_name": p.container_name,
            "deployment_name": p.deployment_name,
            "restart_count": p.restart_count,
            "reason": p.reason,
            "exit_code": p.exit_code,
            "node_name": p.node_name,
            "image": p.image,
            "log_tail": log_tail,
            "log_source": log_source,
            "workload_kind": p.workload_kind,
            "init_container": p.init_container,
            "loop_state": p.loop_state,
            **({"termination": p.termination} if p.termination else {}),
            **p.extra,
        },
    }
    if config.environment:
        payload["environment"] = config.environment
    if p.version:
        payload["version"] = p.version
    if p.commit_hash:
        payload["commit_hash"] = p.commit_hash
    return payload


def scan(config: ScanConfig, kube: Kube, reporter: Reporter, now: datetime | None = None) -> dict[str, Any]:
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    summary: dict[str, Any] = {
        "pods_scanned": 0, "problems_found": 0, "reported": 0, "failed": 0, "skipped": 0,
        "new_bugs": 0, "logs_unavailable": 0,
        "namespaces": list(config.namespaces) or "all",
        "skipped_namespaces": [], "skipped_pods": [], "by_type": {}, "reports": [],
        "log_center": "not contacted", "errors": [],
    }
    groups: dict[tuple[str, str, str, str], list[Problem]] = {}
    seen: set[tuple[str, str]] = set()
    rules = rules_of(config)

    for namespace in config.namespaces or (None,):
        try:
            for page in kube.list_pods(namespace, config.page_size):
                for pod in page:
                    meta = pod.get("metadata") or {}
                    ident = (meta.get("namespace") or "", meta.get("name") or "")
                    if ident in seen:
                        continue
                    seen.add(ident)
                    summary["pods_scanned"] += 1
                    if not ident[1]:
                        summary["skipped"] += 1
                        continue
                    for p in detect(pod, now, rules=rules):
                        p.workload_kind, p.deployment_name = workload_of(pod)
                        p.project_id = project_of(pod, p.deployment_name, config)
                        p.version, p.commit_hash = release_of(pod, p.image)
                        groups.setdefault(_key(p), []).append(p)
                        summary["problems_found"] += 1
                        summary["by_type"][p.error_type] = summary["by_type"].get(p.error_type, 0) + 1
        except KubeError as exc:
            if namespace is not None and exc.status in (403, 404):
                log.warning("namespace %s skipped: %s %s", namespace, exc.status, exc)
                summary["skipped"] += 1
                summary["skipped_namespaces"].append({"namespace": namespace, "status": exc.status,
                                                      "message": str(exc)[:300]})
                continue
            where = f"namespace {namespace}" if namespace else "all namespaces"
            raise ScanFailed(f"cannot list pods in {where}: {exc.status or 'no response'} {exc}") from None

    summary["list_seconds"] = round(time.monotonic() - started, 3)
    # One report per fingerprint, from the first affected pod by name (the same pod every
    # scan while it lives); if that pod vanished since the listing (404), the next one.
    ordered = []
    for problems in groups.values():
        problems.sort(key=lambda p: (p.pod_name, p.container_name or ""))
        affected = len({p.pod_name for p in problems})
        # The group is as severe as its worst pod (one replica crash-looping, another up again).
        worst = max((p.level for p in problems), key=lambda level: SEVERITY.get(level, 0))
        for p in problems:
            p.extra["affected_pods"] = affected
            p.group_level = worst
        ordered.append(problems)
    ordered.sort(key=lambda problems: _key(problems[0]))

    def handle(problems: list[Problem]) -> dict[str, Any]:
        vanished: list[tuple[Problem, str]] = []
        tried: set[str] = set()
        for p in problems:
            if p.pod_name in tried:
                continue
            tried.add(p.pod_name)
            log_tail, source, log_error = "", "none", None
            if p.fetch_logs and p.container_name:
                log_tail, source, log_error = fetch_log(kube, p, config)
            if log_error is not None and log_error.status == 404:
                vanished.append((p, str(log_error)))
                continue
            sent = reporter.send(build_payload(p, log_tail, source, config, p.group_level))
            return {"pod": p, "sent": sent, "no_log": p.fetch_logs and source == "none", "vanished": vanished}
        return {"pod": None, "sent": None, "no_log": False, "vanished": vanished}

    if ordered:
        with ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="podscan") as pool:
            results = list(pool.map(handle, ordered))
    else:
        results = []

    for result in results:
        for gone, message in result["vanished"]:
            summary["skipped"] += 1
            summary["skipped_pods"].append({"namespace": gone.namespace, "pod": gone.pod_name,
                                            "status": 404, "message": message[:300]})
        p: Problem | None = result["pod"]
        if p is None:
            continue
        summary["logs_unavailable"] += int(result["no_log"])
        sent = result["sent"]
        entry = {"project_id": p.project_id, "namespace": p.namespace, "deployment_name": p.deployment_name,
                 "error_type": p.error_type, "pod_name": p.pod_name, "container_name": p.container_name}
        if sent.ok:
            summary["reported"] += 1
            summary["new_bugs"] += int(bool(sent.body.get("is_new")))
            entry.update(status="reported", id=sent.body.get("id"), is_new=sent.body.get("is_new"),
                         occurrence_count=sent.body.get("occurrence_count"))
        else:
            summary["failed"] += 1
            entry.update(status="failed", error=sent.error)
            if len(summary["errors"]) < MAX_ERRORS_LISTED:
                summary["errors"].append(f"{p.namespace}/{p.pod_name}: {sent.error}")
        summary["reports"].append(entry)

    if reporter.unreachable or (summary["failed"] and not summary["reported"]
                                and all(r["sent"].connect_failed for r in results if r["sent"])):
        summary["log_center"] = "unreachable"
    elif summary["failed"]:
        summary["log_center"] = "errors"
    elif summary["reported"]:
        summary["log_center"] = "ok"
    summary["duration_seconds"] = round(time.monotonic() - started, 3)
    return summary


def run_scan(config: ScanConfig, api_client: Any | None = None) -> dict[str, Any]:
    """Build the clients, scan once, close them. Raises ScanFailed when no scan was possible."""
    try:
        client = api_client if api_client is not None else load_api_client(config.concurrency)
    except KubeError as exc:
        raise ScanFailed(str(exc)) from None
    kube = Kube(client, timeout=config.kube_timeout)
    reporter = Reporter(config)
    try:
        return scan(config, kube, reporter)
    finally:
        reporter.close()
        if api_client is None:
            kube.close()


def exit_code(summary: dict[str, Any]) -> int:
    """For the CronJob: 0 all reported, 1 some reports failed (e.g. Log Center down)."""
    return 1 if summary.get("failed") else 0
