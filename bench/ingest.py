"""Ingest throughput: the report function vs a hello-world function, same server, same load.

Both run under functions-framework's production server (gunicorn, WORKERS workers, THREADS
threads); wrk drives each with 16 connections for the same time, POSTing realistic report
bodies: `distinct` (half of them duplicates of earlier fingerprints) and `storm` (every
report the same crash). The report function writes to a fresh PostgreSQL database. Prints
req/s, p50, p99 and the ratio; then checks that the stored occurrence counts add up to the
accepted reports.

    .venv/bin/python -m bench.ingest [--seconds 15] [--connections 16] [--mode both] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os

import requests

from sqlalchemy import create_engine, func, select

from bench.common import ROOT, function_server, pg_database, run_wrk
from shared.db.models import ErrorLog

SCRIPT = ROOT / "bench" / "ingest.lua"


def measure(mode: str, args: argparse.Namespace) -> dict:
    """hello-world, then the report function on a fresh database, under the same load."""
    os.environ["LOGCENTER_BENCH_STORM"] = "1" if mode == "storm" else "0"
    server = {"threads": args.threads, "workers": args.workers}
    results = {}
    with function_server("hello", ROOT / "bench" / "hello" / "main.py", health="/", **server) as url:
        run_wrk(url, SCRIPT, args.connections, 2)  # warm-up
        results["hello-world"] = run_wrk(url, SCRIPT, args.connections, args.seconds)
    with pg_database() as db_url:
        env = {"DATABASE_URL": db_url, "LOGCENTER_DB_POOL_SIZE": "8"}
        with function_server("report", ROOT / "functions" / "report" / "main.py", env=env, **server) as url:
            # The first start on a fresh database creates the schema: not part of the load.
            for _ in range(args.workers * 4):
                requests.get(url + "/_/ready", timeout=60).raise_for_status()
            warm = run_wrk(url, SCRIPT, args.connections, 2)
            results["report"] = run_wrk(url, SCRIPT, args.connections, args.seconds)
        engine = create_engine(db_url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.sum(ErrorLog.occurrence_count), func.count())).one()
        engine.dispose()
    hello, report = results["hello-world"], results["report"]
    print(f"\n## {mode} reports, {args.connections} connections, WORKERS={args.workers} THREADS={args.threads}")
    print(f"{'target':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:<12} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} {r['non_2xx']:>8}")
    ratio = report["rps"] / hello["rps"]
    target = {"distinct": 0.50, "storm": 0.60}[mode]
    accepted = warm["requests"] - warm["non_2xx"] + report["requests"] - report["non_2xx"]
    print(f"report / hello-world throughput: {ratio:.2f}x (target >= {target:.2f}x)")
    print(f"report p99: {report['p99_ms']:.1f} ms (target <= 30 ms)")
    print(f"stored occurrences {stored[0]} in {stored[1]} bugs; accepted responses {accepted} "
          f"(wrk counts requests cut off at the deadline too, so stored may exceed it by up to "
          f"{args.connections * 2})")
    return {"mode": mode, "ratio": round(ratio, 3), **results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--mode", choices=["distinct", "storm", "both"], default="both")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    for mode in (["distinct", "storm"] if args.mode == "both" else [args.mode]):
        print(json.dumps(measure(mode, args)))


if __name__ == "__main__":
    main()
