"""A live local gateway (`python -m shared.gateway`) in a subprocess, for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveGateway:
    def __init__(self, database_url: str, env: dict[str, str] | None = None, log_path: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.extra_env = env or {}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "LiveGateway":
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGCENTER_") and k != "DATABASE_URL"}
        env.update({"DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1"}, **self.extra_env)
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen([sys.executable, "-m", "shared.gateway", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if requests.get(f"{self.url}/_/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gateway did not become healthy within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def report(self, payload: dict, **kwargs) -> requests.Response:
        return requests.post(f"{self.url}/api/v1/logs/report", json=payload, timeout=10, **kwargs)

    def __enter__(self) -> "LiveGateway":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
