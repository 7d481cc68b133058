"""Soak: mixed load at 32 connections against the production servers and PostgreSQL.

report, bugs and stats each run under functions-framework's production server (gunicorn,
1 worker, THREADS threads) on their own port, like OpenFaaS runs them, all on one fresh
PostgreSQL database. Client processes (Python threads, one keep-alive session per target)
send 80 % reports with realistic duplicates across all three sources, 15 % bug lists and
details, 5 % stats. Afterwards: zero 5xx, and accepted reports == sum of occurrence_count ==
sum of the day counters; the bug counters agree with a recount.

    .venv/bin/python -m bench.soak [--minutes 10] [--connections 32] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from bench.common import pg_database
from tests.reliability.load import Servers, check_soak, run_mixed_load_processes, stored_totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2, help="client processes sharing the connections")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn THREADS per function")
    args = parser.parse_args()

    with pg_database("logcenter_soak") as url, tempfile.TemporaryDirectory() as logs:
        with Servers(["report", "bugs", "stats"], url, Path(logs), threads=args.threads) as servers:
            urls = {name: s.url for name, s in servers.items()}
            workers = servers.worker_pids()
            result = run_mixed_load_processes(urls, args.connections, args.minutes * 60, processes=args.processes)
            workers_replaced = servers.worker_pids() != workers
            server_logs = servers.log_text()
        totals = stored_totals(url)
        os.environ["DATABASE_URL"] = url
        from shared.db.engine import dispose_engines
        from tests.support.snapshot import counter_mismatches

        mismatches = counter_mismatches()
        dispose_engines()

    problems = check_soak(result, totals, mismatches)
    if workers_replaced:
        problems.append("a gunicorn worker died and was replaced during the soak")
    per_kind = {k: result.count(lambda kind, s, k=k: kind == k) for k in ("report", "list", "stats")}
    figures = {
        "minutes": args.minutes, "connections": args.connections, "requests": result.requests,
        "req_per_s": round(result.requests / result.seconds, 1), "by_kind": per_kind,
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(result.statuses.items(), key=str)},
        "5xx": result.server_errors, "accepted_reports": result.accepted_reports,
        "stored_occurrences": totals["occurrences"], "day_counters": totals["daily"], "bugs": totals["bugs"],
        "occurrences_by_source": {k[12:]: v for k, v in totals.items() if k.startswith("occurrences_")},
        "counter_mismatches": len(mismatches),
        "latency_ms": {k: {"p50": round(result.percentile(k, 0.5), 1), "p95": round(result.percentile(k, 0.95), 1),
                           "p99": round(result.percentile(k, 0.99), 1)} for k in ("report", "list", "stats")},
    }
    print(f"soak: {args.minutes:g} min, {args.connections} connections: {result.requests} requests "
          f"({figures['req_per_s']}/s), 5xx {result.server_errors}, accepted reports {result.accepted_reports}, "
          f"stored occurrences {totals['occurrences']}, day counters {totals['daily']}, bugs {totals['bugs']}, "
          f"counter mismatches {len(mismatches)}")
    for kind, lat in figures["latency_ms"].items():
        print(f"  {kind:<7} {per_kind[kind]:>8} requests  p50 {lat['p50']:>7.1f} ms  p95 {lat['p95']:>7.1f} ms  "
              f"p99 {lat['p99']:>7.1f} ms")
    print(json.dumps(figures))
    if problems:
        print("SOAK FAILED:\n" + "\n".join(problems) + "\n" + server_logs, file=sys.stderr)
        return 1
    print("soak passed: nothing lost, nothing double-counted, no 5xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
