"""pod-scanner: one scan of the cluster's pods per invocation (POST /, cron trigger).

The answer lists namespaces, pods and their errors, so the route needs the API token when
one is configured (LOGCENTER_API_TOKEN(S)). The schedule is a Kubernetes CronJob running
`python -m shared.trigger` with that token (k8s/triggers.yaml): cron-connector and
PingSource cannot send one. The body is not read. The answer is the scan summary:
`{pods_scanned, problems_found, reported, failed, skipped, ...}` (200), a 409 while
another scan is still running in this replica, or a 503 when the pods cannot be listed.

The scanner library is the `podscan` package beside this file. In the repository it is
`functions.pod_scanner.podscan`; in the function image this folder is the flat build
context, so it is the top-level `podscan`. The import below tries the first and falls
back to the second only when the `functions` package itself is absent.
"""

import threading

import functions_framework

from shared.http import errors
from shared.http.router import Call, Router

try:
    from functions.pod_scanner import podscan
except ModuleNotFoundError as exc:  # flat function image: no `functions` package
    if exc.name not in ("functions", "functions.pod_scanner"):
        raise
    import podscan


# The scanner has no database: ready means its configuration is usable.
router = Router("pod-scanner", ready=podscan.ScanConfig.from_env)
_scan_lock = threading.Lock()


@router.route("POST", "/", auth="api")
def _scan(call: Call):
    try:
        config = podscan.ScanConfig.from_env()
    except podscan.ConfigError as exc:
        raise errors.ServiceUnavailable(f"the scanner is misconfigured: {exc}", 60) from None
    if not _scan_lock.acquire(blocking=False):
        raise errors.Conflict("a scan is already running")
    try:
        summary = podscan.run_scan(config)
    except podscan.ScanFailed as exc:
        raise errors.ServiceUnavailable(str(exc), call.settings.retry_after_seconds) from None
    finally:
        _scan_lock.release()
    trigger = call.request.headers.get("X-Connector") or call.request.headers.get("Ce-Source")
    if trigger:
        summary["trigger"] = {"connector": trigger, "topic": call.request.headers.get("X-Topic")}
    return summary


@functions_framework.http
def pod_scanner(request):
    return router.dispatch(request)
