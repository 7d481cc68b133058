"""`python -m shared.trigger`: start one run of a scheduled function, with the API token.

OpenFaaS's cron-connector and Knative's PingSource call a function without an
Authorization header, so a function whose route needs the API token (pod-scanner,
retention, notify) would answer them 401 as soon as a token is configured. A Kubernetes
CronJob runs this instead (k8s/triggers.yaml; the Knative CronJobs in k8s/knative.yaml): it
reads the token from the same Secret the functions use and POSTs to TRIGGER_URL.

| variable | default | meaning |
|---|---|---|
| `TRIGGER_URL` | required | the function, e.g. `http://gateway.openfaas.svc.cluster.local:8080/function/retention` |
| `LOG_CENTER_API_TOKEN` | none | the API token; also `LOG_CENTER_API_TOKEN_FILE`, or the secret `logcenter-api-token` under `LOGCENTER_SECRETS_DIR` |
| `TRIGGER_TIMEOUT_SECONDS` | 900 | how long one call may take (a daily retention run is long) |
| `TRIGGER_ATTEMPTS` | 3 | tries when the function cannot be reached or answers 502/503/504 (it may be scaling up); a call that timed out is not repeated |
| `TRIGGER_RETRY_SECONDS` | 5 | pause between tries |

Prints the function's answer (one JSON line) on stdout and exits 0 when it answered 2xx; any
other answer, or none, is one line on stderr and exit 1, so the Job shows as failed. A 409
(a run still going) is exit 0: the schedule is kept, nothing was lost. The token is never
printed.
"""

from __future__ import annotations

import json
import sys
import time

import requests

from shared.settings import ConfigError, trigger_settings

RETRIED_STATUSES = (502, 503, 504)


def _summary(response: requests.Response) -> str:
    try:
        return json.dumps(response.json(), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return json.dumps({"status": response.status_code, "body": response.text[:300]})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    try:
        settings = trigger_settings()
    except ConfigError as exc:
        print(f"trigger: {exc}", file=sys.stderr)
        return 1
    headers = {"Content-Type": "application/json", "X-Connector": "log-center-trigger",
               "User-Agent": "log-center-trigger/1"}
    if settings["token"]:
        headers["Authorization"] = f"Bearer {settings['token']}"
    url, problem = settings["url"], ""
    for attempt in range(1, settings["attempts"] + 1):
        try:
            response = requests.post(url, data=b"{}", headers=headers, timeout=settings["timeout"],
                                     allow_redirects=False)
        except requests.ConnectionError as exc:  # ConnectTimeout too: nothing started
            problem = f"cannot reach {url}: {type(exc).__name__}"
        except requests.Timeout:
            # The function took the call and is still at it: starting it again would run twice.
            print(f"trigger: {url} did not answer within {settings['timeout']:g} s", file=sys.stderr)
            return 1
        else:
            if response.status_code not in RETRIED_STATUSES:
                if response.ok or response.status_code == 409:
                    print(_summary(response))
                    return 0
                print(f"trigger: {url} answered {response.status_code}: {_summary(response)}", file=sys.stderr)
                return 1
            problem = f"{url} answered {response.status_code}"
        if attempt < settings["attempts"]:
            time.sleep(settings["retry_delay"])
    print(f"trigger: {problem} (after {settings['attempts']} tries)", file=sys.stderr)
    return 1
