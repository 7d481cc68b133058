"""Bugs of all three sources, reported through the real report route (used by the
browser tests and by `python -m tests.web_e2e.screenshots`)."""

from __future__ import annotations

from typing import Callable

import requests

HOSTILE_MESSAGE = '<img src=x onerror="window.__xss=1;alert(1)">'

RUNTIME = [
    {
        "project_id": "rtc_backend", "level": "ERROR", "environment": "production", "version": "1.4.2",
        "commit_hash": "9f2c1e0",
        "error": {"type": "ValueError", "message": "invalid literal for int() with base 10: 'abc'",
                  "file_path": "app/api/orders.py", "line_number": 42,
                  "stack_trace": "Traceback (most recent call last):\n"
                                 "  File \"app/api/orders.py\", line 42, in create_order\n"
                                 "    quantity = int(payload[\"quantity\"])\n"
                                 "ValueError: invalid literal for int() with base 10: 'abc'"},
        "context": {"request_id": "req-8f1c", "path": "/api/orders", "method": "POST"},
    },
    {
        "project_id": "rtc_backend", "level": "WARNING", "environment": "staging", "version": "1.4.3",
        "error": {"type": "KeyError", "message": "'user_id'", "file_path": "app/services/session.py",
                  "line_number": 118,
                  "stack_trace": [{"file": "app/services/session.py", "line": 118, "function": "load_session"},
                                  {"file": "app/middleware.py", "line": 31, "function": "__call__"}]},
        "context": {"session": "s-42"},
    },
    {
        "project_id": "web_front", "level": "ERROR", "environment": "production", "version": "2.0.1",
        "error": {"type": "TypeError", "message": "Cannot read properties of undefined (reading 'map')",
                  "file_path": "src/pages/Cart.tsx", "line_number": 57},
        "context": {"browser": "Chrome 131", "url": "/cart"},
    },
]

REPAIR_TARGET = {
    "project_id": "rtc_backend", "level": "ERROR", "environment": "production",
    "error": {"type": "ZeroDivisionError", "message": "division by zero", "file_path": "app/billing/invoice.py",
              "line_number": 88},
    "context": {"invoice": "INV-2026-0042"},
}

HOSTILE = {
    "project_id": "web_front", "level": "ERROR",
    "error": {"type": "RenderError", "message": HOSTILE_MESSAGE, "file_path": "src/x.tsx", "line_number": 1,
              "stack_trace": "<script>window.__xss=2;alert(2)</script>\n  at <b onmouseover=alert(3)>render</b>"},
    "context": {"html": "<svg onload=alert(4)>", "note": "</pre><img src=y onerror=alert(5)>"},
}

CICD = [
    {
        "project_id": "rtc_backend", "source": "cicd", "level": "ERROR", "commit_hash": "3b7e2a9",
        "error": {"type": "NpmBuildError", "message": "npm run build exited with code 1"},
        "context": {"workflow_name": "Build and deploy", "job_name": "web", "step_name": "npm run build",
                    "run_id": "1289", "run_number": 311,
                    "run_url": "https://git.example.com/team/rtc/actions/runs/1289",
                    "repository": "team/rtc", "ref": "refs/heads/main", "commit_sha": "3b7e2a9", "actor": "lihua",
                    "log_tail": "src/App.tsx(12,7): error TS2322: Type 'string' is not assignable to type 'number'.\n"
                                "npm ERR! code 1"},
    },
    {
        "project_id": "web_front", "source": "cicd", "level": "ERROR",
        "error": {"type": "TestFailure", "message": "3 tests failed in tests/test_cart.py"},
        "context": {"workflow_name": "CI", "job_name": "test", "step_name": "pytest",
                    "run_url": "https://git.example.com/team/web/actions/runs/77", "commit_sha": "c0ffee1",
                    "log_tail": "FAILED tests/test_cart.py::test_total - AssertionError: 41 != 42"},
    },
]

DEPLOYMENT = [
    {
        "project_id": "rtc_backend", "source": "deployment", "level": "CRITICAL",
        "error": {"type": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"},
        "context": {"namespace": "prod", "pod_name": "rtc-backend-7d9f8-x2k4q", "container_name": "api",
                    "deployment_name": "rtc-backend", "restart_count": 14, "reason": "Error", "exit_code": 1,
                    "node_name": "k3s-node-2", "image": "registry.example.com/rtc-backend:1.4.2",
                    "log_tail": "sqlalchemy.exc.OperationalError: could not connect to server"},
    },
    {
        "project_id": "web_front", "source": "deployment", "level": "CRITICAL",
        "error": {"type": "OOMKilled", "message": "container web was OOMKilled"},
        "context": {"namespace": "prod", "pod_name": "web-front-5c6b-9qz7m", "container_name": "web",
                    "deployment_name": "web-front", "restart_count": 3, "reason": "OOMKilled", "exit_code": 137},
    },
]


def seed(report: Callable[[dict], requests.Response], hostile: bool = True) -> dict[str, int]:
    """Report every sample; returns ids by name (runtime, runtime2, …, cicd, deployment, repair, hostile)."""
    ids: dict[str, int] = {}

    def send(name: str, payload: dict, times: int = 1) -> None:
        for _ in range(times):
            response = report(payload)
            assert response.status_code in (200, 201), (response.status_code, response.text)
        ids[name] = response.json()["id"]

    send("runtime", RUNTIME[0], times=3)
    send("runtime2", RUNTIME[1])
    send("runtime3", RUNTIME[2], times=2)
    send("repair", REPAIR_TARGET)
    send("cicd", CICD[0], times=2)
    send("cicd2", CICD[1])
    send("deployment", DEPLOYMENT[0], times=4)
    send("deployment2", DEPLOYMENT[1])
    if hostile:
        send("hostile", HOSTILE)
    return ids


def api_get(base_url: str, path: str, **params) -> dict:
    response = requests.get(f"{base_url}/api/v1{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()
