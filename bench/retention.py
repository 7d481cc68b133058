"""Retention at scale: a run over 1,000,000 bugs and ~10,000,000 occurrences on PostgreSQL,
and the report route's p99 while it runs against its p99 idle (same server, same load).

Loads the bugs like bench/queries.py, then ~10 occurrences per bug server-side (their ages
spread over 100 days), ages 5 % of the resolved/ignored bugs to 200 days, and lowers the
per-bug cap to 8 so every rule has work. wrk drives the report function (16 connections)
for 30 s idle, then for exactly as long as `python -m shared.retention` runs (one window, so
its p99 is the whole run's); with `--window 10`, in three 10 s windows idle (their median p99
is the baseline) and then 10 s windows for as long as the run lasts, to see when it hurts.
Afterwards the counters are compared with a recount of errorlog.

    .venv/bin/python -m bench.retention [--bugs 1000000] [--per-bug 10] [--cap 8] [--sleep-ratio 1] [--window 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from bench.common import ROOT, function_server, pg_database, run_wrk, run_wrk_while
from bench.queries import load
from shared.retention.rules import RETIRED_STATUSES

SCRIPT = ROOT / "bench" / "ingest.lua"


def add_occurrences(db_url: str, per_bug: int) -> tuple[int, float]:
    started = time.perf_counter()
    retired = ", ".join(f"'{s}'" for s in RETIRED_STATUSES)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE errorlog SET last_seen_at = now() - interval '200 days' "
                          f"WHERE status IN ({retired}) AND id % 20 = 0"))
        conn.execute(text("ALTER TABLE occurrence DROP CONSTRAINT uq_occurrence_bug_seq"))
        conn.execute(text("DROP INDEX ix_occurrence_created_at"))
        conn.execute(text(
            "INSERT INTO occurrence (bug_id, seq, created_at, level, message, environment, version, context) "
            "SELECT e.id, e.occurrence_count - k, e.last_seen_at - k * interval '10 days' - interval '1 hour', "
            "e.level, e.error_message, 'production', '1.0.0', '{\"request_id\": \"r-1\"}' "
            "FROM errorlog e CROSS JOIN generate_series(0, :n - 1) AS k WHERE k < e.occurrence_count"),
            {"n": per_bug})
        conn.execute(text("ALTER TABLE occurrence ADD CONSTRAINT uq_occurrence_bug_seq UNIQUE (bug_id, seq)"))
        conn.execute(text("CREATE INDEX ix_occurrence_created_at ON occurrence (created_at)"))
        count = conn.execute(text("SELECT count(*) FROM occurrence")).scalar()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE occurrence"))
        conn.execute(text("VACUUM ANALYZE errorlog"))
    engine.dispose()
    return count, time.perf_counter() - started


def counters_match(db_url: str) -> bool:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = conn.execute(text("""
            SELECT count(*) FROM (
              SELECT project_id, source, status, level, count(*) AS b, sum(occurrence_count) AS o
              FROM errorlog GROUP BY 1, 2, 3, 4
              EXCEPT
              SELECT project_id, source, status, level, sum(bugs), sum(occurrences)
              FROM errorlog_counts GROUP BY 1, 2, 3, 4 HAVING sum(bugs) > 0) d""")).scalar()
    engine.dispose()
    return diff == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bugs", type=int, default=1_000_000)
    parser.add_argument("--per-bug", type=int, default=10)
    parser.add_argument("--cap", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sleep-ratio", default="1", help="LOGCENTER_RETENTION_SLEEP_RATIO of the run")
    parser.add_argument("--window", type=int, default=0,
                        help="seconds per wrk window (3 idle, then as many as the run lasts); 0: one window "
                             "for the whole run against 30 s idle")
    args = parser.parse_args()
    with pg_database("logcenter_retention") as db_url:
        load(db_url, args.bugs)
        count, seconds = add_occurrences(db_url, args.per_bug)
        print(f"loaded {count:,} occurrences in {seconds:.1f} s")
        env = {"DATABASE_URL": db_url, "LOGCENTER_DB_POOL_SIZE": "8"}
        with function_server("report", ROOT / "functions" / "report" / "main.py", env=env) as url:
            run_wrk(url, SCRIPT, args.connections, 3)  # warm-up
            if args.window:  # idle in the same windows as during the run: the baseline is their median
                idle_windows = [run_wrk(url, SCRIPT, args.connections, args.window) for _ in range(3)]
            else:
                idle_windows = [run_wrk(url, SCRIPT, args.connections, 30)]
            run_env = {**os.environ, **env, "LOGCENTER_OCCURRENCES_PER_BUG": str(args.cap),
                       "LOGCENTER_RETENTION_SLEEP_RATIO": args.sleep_ratio}
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "shared.retention", "--json"], cwd=ROOT, env=run_env,
                                    stdout=subprocess.PIPE, text=True)
            if args.window:
                windows = []
                while proc.poll() is None:
                    windows.append(run_wrk(url, SCRIPT, args.connections, args.window))
            else:
                windows = [run_wrk_while(proc, url, SCRIPT, args.connections)]
            out, _ = proc.communicate()
            elapsed = time.perf_counter() - started
        result = json.loads(out)
        exact = counters_match(db_url)
    print(f"\nretention run: {result['seconds']:.1f} s ({elapsed:.1f} s wall), {result['batches']} batches, "
          f"status {result['status']}, slept {result['slept_seconds']:.1f} s "
          f"(LOGCENTER_RETENTION_SLEEP_RATIO={args.sleep_ratio})")
    for rule, n in result["removed"].items():
        print(f"  {rule:<22} {n:>11,}")
    print(f"  {'total':<22} {result['total_removed']:>11,}")
    print(f"\n{'report':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8}")
    for label, group in (("idle", idle_windows), ("during the run", windows)):
        for i, w in enumerate(group):
            name = f"{label}, window {i + 1}" if len(group) > 1 else f"{label} (one window)"
            print(f"{name:<26} {w['rps']:>8.0f} {w['p50_ms']:>8.2f} {w['p99_ms']:>8.2f} {w['requests']:>9} "
                  f"{w['non_2xx']:>8}")
    idle_p99 = statistics.median(w["p99_ms"] for w in idle_windows)
    during = [w["p99_ms"] for w in windows]
    if not during:
        print("no window completed")
    elif len(during) == 1:
        print(f"\np99 while the run ran / idle p99: {during[0] / idle_p99:.2f}x (target <= 2x)")
    else:
        print(f"\nidle p99 (median of {len(idle_windows)} windows): {idle_p99:.2f} ms; worst idle window "
              f"{max(w['p99_ms'] for w in idle_windows) / idle_p99:.2f}x of it")
        print(f"worst p99 during the run / idle p99: {max(during) / idle_p99:.2f}x (target <= 2x); median "
              f"window {statistics.median(during) / idle_p99:.2f}x")
    print(f"counters equal a recount afterwards: {exact}")


if __name__ == "__main__":
    main()
