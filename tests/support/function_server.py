"""One function under functions-framework's production server (gunicorn), as the images
run it, in a subprocess on a free port — for tests that must see the real server's HTTP
handling (chunked bodies, keep-alive) rather than Werkzeug's test client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.gateway import free_port

ROOT = Path(__file__).resolve().parents[2]


class FunctionServer:
    def __init__(self, folder: str, target: str, database_url: str, env: dict[str, str] | None = None,
                 log_path: Path | None = None):
        self.folder, self.target = folder, target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LOGCENTER_") and k != "DATABASE_URL"}
        self.env.update({"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", "WORKERS": "1", "THREADS": "4",
                         **(env or {})})
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "FunctionServer":
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        binary = Path(sys.executable).parent / "functions-framework"
        self.proc = subprocess.Popen([str(binary), "--target", self.target, "--source",
                                      str(ROOT / "functions" / self.folder / "main.py"),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"functions-framework exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if requests.get(f"{self.url}/_/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("functions-framework did not become healthy within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
