"""Helpers for the repair agent tests. The agent under test is the real CLI (`python -m repair_agent`) in a subprocess,
talking over HTTP to a live gateway seeded through /api/v1/logs/report."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def agent_env(url: str, token: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LOG_CENTER_", "LOGCENTER_")) and k not in ("REPAIR_COMMAND", "DATABASE_URL")}
    env.update({"LOG_CENTER_URL": url, "PYTHONUNBUFFERED": "1"})
    if token is not None:
        env["LOG_CENTER_TOKEN"] = token
    env.update(extra)
    return env


def agent(args: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "repair_agent", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def start_agent(args: list[str], env: dict[str, str], out: Path, err: Path) -> subprocess.Popen:
    """A long-running agent in its own process group (a terminal's Ctrl-C hits the whole group)."""
    return subprocess.Popen([sys.executable, "-m", "repair_agent", *args], cwd=ROOT, env=env,
                            stdout=open(out, "w"), stderr=open(err, "w"), start_new_session=True)


def wait_for(predicate, timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pid_gone(pid: int) -> bool:
    """True when the process no longer runs (gone, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


@dataclass
class Seeded:
    runtime: list[int]
    cicd: list[int]
    deployment: list[int]


class Api:
    """What the tests check through the API (never through the agent under test)."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def bug(self, bug_id: int) -> dict[str, Any]:
        r = requests.get(f"{self.url}/api/v1/bugs/{bug_id}", headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def bugs(self, **params: Any) -> list[dict[str, Any]]:
        r = requests.get(f"{self.url}/api/v1/bugs", params={"page_size": 200, **params},
                         headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["items"]


def seed(gateway, runtime: int = 3, cicd: int = 2, deployment: int = 2, project: str = "shop") -> Seeded:
    """Distinct bugs of all three sources; runtime ones are reported first (oldest first in the queue)."""
    ids = Seeded([], [], [])
    for i in range(runtime):
        r = gateway.report({
            "project_id": project if i % 2 == 0 else f"{project}_api", "level": "ERROR",
            "error": {"type": f"RuntimeFault{i}", "message": f"runtime failure {i}",
                      "file_path": f"app/module_{i}.py", "line_number": 10 + i,
                      "stack_trace": f"Traceback (most recent call last):\n  File \"app/module_{i}.py\""},
            "context": {"request_id": f"r{i}"}})
        assert r.status_code in (200, 201), r.text
        ids.runtime.append(r.json()["id"])
    for i in range(cicd):
        r = gateway.report({
            "project_id": project, "source": "cicd",
            "error": {"type": f"DockerBuildError{i}", "message": "COPY failed"},
            "context": {"workflow_name": "build", "job_name": f"job{i}", "step_name": "docker build",
                        "run_url": "https://git.example/run/1"}})
        assert r.status_code in (200, 201), r.text
        ids.cicd.append(r.json()["id"])
    for i in range(deployment):
        r = gateway.report({
            "project_id": project, "source": "deployment", "level": "CRITICAL",
            "error": {"type": f"CrashLoopBackOff{i}", "message": "back-off restarting"},
            "context": {"namespace": "prod", "deployment_name": f"web{i}", "pod_name": f"web{i}-abc",
                        "restart_count": 7}})
        assert r.status_code in (200, 201), r.text
        ids.deployment.append(r.json()["id"])
    return ids
