"""Shared pieces of the benchmarks: servers under functions-framework's production server
(gunicorn), wrk as the load generator, and a fresh PostgreSQL database."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.databases import create_pg_database, drop_pg_database  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def pg_database(prefix: str = "logcenter_bench") -> Iterator[str]:
    url = create_pg_database(prefix)
    try:
        yield url
    finally:
        drop_pg_database(url)


@contextmanager
def function_server(target: str, source: Path, env: dict[str, str] | None = None,
                    threads: int = 8, health: str = "/_/health", workers: int = 1) -> Iterator[str]:
    """functions-framework without --debug runs gunicorn (WORKERS workers, THREADS threads)."""
    port = free_port()
    full_env = {**os.environ, "THREADS": str(threads), "WORKERS": str(workers), **(env or {})}
    proc = subprocess.Popen([str(VENV_BIN / "functions-framework"), "--target", target, "--source", str(source),
                             "--host", "127.0.0.1", "--port", str(port)],
                            env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url + health, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return time.monotonic() - start
        except requests.RequestException:
            time.sleep(0.02)
    raise RuntimeError(f"{url} not healthy after {timeout}s")


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is missing: `apt-get install wrk` (make bench does this)")
    return wrk


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def _wrk_command(url: str, script: Path, connections: int, seconds: int, threads: int) -> list[str]:
    return [require_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
            "-s", str(script), url]


def run_wrk(url: str, script: Path, connections: int, seconds: int, threads: int = 2,
            env: dict[str, str] | None = None) -> dict:
    """`env` reaches the Lua script (os.getenv), e.g. where its pre-built bodies are."""
    out = subprocess.run(_wrk_command(url, script, connections, seconds, threads), capture_output=True, text=True,
                         check=True, env={**os.environ, **(env or {})}).stdout
    return parse_wrk(out)


def run_wrk_while(proc: subprocess.Popen, url: str, script: Path, connections: int, threads: int = 2) -> dict:
    """wrk for exactly as long as `proc` runs: one window, so its p99 is the whole period's.
    wrk stops on SIGINT and prints its figures as at the end of a run."""
    wrk = subprocess.Popen(_wrk_command(url, script, connections, 24 * 3600, threads), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    proc.wait()
    wrk.send_signal(signal.SIGINT)
    out, _ = wrk.communicate(timeout=60)
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(latency["50"]), "p99_ms": _ms(latency["99"]),
        "requests": requests_done, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "none",
    }
