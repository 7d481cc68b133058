"""Cold start: process start to the first 200 answer of a real request, per function,
against a hello-world functions-framework function started the same way in the same run.

Every function runs as OpenFaaS runs it: `functions-framework --target … --source …`
(gunicorn, 1 worker) against PostgreSQL. Each is started --runs times; the median counts.

    .venv/bin/python -m bench.coldstart [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import requests

from bench.common import ROOT, VENV_BIN, free_port, pg_database

REPORT = {"project_id": "cold", "error": {"type": "ValueError", "file_path": "a.py", "line_number": 1}}
SENTRY_KEY = "c01d" * 8
# What a Sentry SDK sends for one exception, without compression (bytes: posted as they are).
ENVELOPE = (b'{}\n{"type":"event"}\n'
            b'{"platform":"python","level":"error","exception":{"values":[{"type":"ValueError","value":"cold",'
            b'"stacktrace":{"frames":[{"filename":"app.py","lineno":3,"in_app":true}]}}]}}\n')
# function -> (target, source, method, path, body)
FUNCTIONS = {
    "hello-world": ("hello", "bench/hello/main.py", "GET", "/", None),
    "report": ("report", "functions/report/main.py", "POST", "/api/v1/logs/report", REPORT),
    "bugs": ("bugs", "functions/bugs/main.py", "GET", "/api/v1/bugs", None),
    "tasks": ("tasks", "functions/tasks/main.py", "GET", "/api/v1/tasks/pending", None),
    "stats": ("stats", "functions/stats/main.py", "GET", "/api/v1/dashboard/stats", None),
    "pod-scanner": ("pod_scanner", "functions/pod_scanner/main.py", "GET", "/_/ready", None),
    "sentry": ("sentry", "functions/sentry/main.py", "POST", f"/api/1/envelope/?sentry_key={SENTRY_KEY}", ENVELOPE),
}
# Issue 17: the ingest front doors load no SQLAlchemy; the others keep the first wave's target.
TARGETS = {"report": 1.6, "sentry": 1.6}


def cold_start(target: str, source: str, method: str, path: str, body, env: dict) -> float:  # noqa: ANN001
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([str(VENV_BIN / "functions-framework"), "--target", target, "--source", source,
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited with {proc.returncode}")
            try:
                payload = {"data": body} if isinstance(body, bytes) else {"json": body}
                r = requests.request(method, f"http://127.0.0.1:{port}{path}", timeout=5, **payload)
                if r.status_code in (200, 201):
                    return time.perf_counter() - started
                raise RuntimeError(f"{target}: {r.status_code} {r.text[:200]}")
            except requests.ConnectionError:
                time.sleep(0.005)
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"{target} did not answer within 60 s")
    finally:
        proc.terminate()
        proc.wait(10)


def import_cost(module_source: str) -> float:
    """Seconds a fresh interpreter spends importing a function's module (no server)."""
    code = ("import importlib.util, time, sys; t=time.perf_counter(); "
            f"s=importlib.util.spec_from_file_location('main', {module_source!r}); "
            "m=importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            "print(time.perf_counter()-t); print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, has_k8s = out.stdout.split()
    return float(seconds), has_k8s == "True"


def _register_sentry_project(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (id, project_id, public_key, created_at) "
                          "VALUES (1, 'cold', :key, now())"), {"key": SENTRY_KEY})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with pg_database("logcenter_cold") as db_url:
        env = {**os.environ, "DATABASE_URL": db_url, "THREADS": "8", "NAMESPACES": "default",
               "LOG_CENTER_URL": "http://127.0.0.1:9"}
        # The first start of any function creates the schema; measure warm-schema starts.
        cold_start(*FUNCTIONS["report"][:4], REPORT, env)
        _register_sentry_project(db_url)
        results: dict[str, list[float]] = {name: [] for name in FUNCTIONS}
        for _ in range(args.runs):  # interleaved, so drift in machine load hits all alike
            for name, (target, source, method, path, body) in FUNCTIONS.items():
                results[name].append(cold_start(target, source, method, path, body, env))
    hello = statistics.median(results["hello-world"])
    print(f"{'function':<12} {'median s':>9} {'min s':>7} {'x hello':>8} {'import s':>9} {'imports kubernetes':>19}")
    for name, values in results.items():
        imp, k8s = import_cost(FUNCTIONS[name][1])
        med = statistics.median(values)
        target = TARGETS.get(name, 1.3)
        verdict = "" if name == "hello-world" else ("ok" if med <= target * hello else f"MISSED (target <= {target}x)")
        print(f"{name:<12} {med:>9.3f} {min(values):>7.3f} {med / hello:>8.2f} {imp:>9.3f} {str(k8s):>19}  {verdict}")


if __name__ == "__main__":
    main()
