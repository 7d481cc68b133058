"""Sentry envelope ingest vs hello-world, and the cost of keeping occurrences, in one run.

Four servers in turn, each under functions-framework's production server (gunicorn, 1
worker, 8 threads, as bench/ingest.py): the hello-world baseline, the `sentry` function
taking gzip envelopes shaped like the Python SDK's (one ~3 KB error event with frames,
context lines, breadcrumbs and contexts; every other one repeats one of 200 fingerprints,
the rest are new; each has its own event_id), and the native report function with
LOGCENTER_OCCURRENCES_PER_BUG=50 (the default) and =0. wrk drives each with the same
connections for the same time; the database is a fresh PostgreSQL one per function.
Afterwards the stored occurrence counts are checked against the accepted events.

    .venv/bin/python -m bench.sentry [--seconds 15] [--connections 16] [--bodies 40000]

Targets (issue 13): envelopes >= 0.30x hello-world throughput, p99 <= 50 ms; the native
report with occurrences within 15 % of its throughput without them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.common import ROOT, function_server, pg_database, run_wrk
from shared.db.models import ErrorLog

SENTRY_SCRIPT = ROOT / "bench" / "sentry.lua"
REPORT_SCRIPT = ROOT / "bench" / "ingest.lua"
WRK_THREADS = 2


def _event(n: int, line: int) -> dict:
    """An error event as sentry-sdk 2.x builds it for an exception in a web handler."""
    source = [f"    step_{i} = compute(order, {i})" for i in range(5)]
    frames = [{"filename": f"app/{name}.py", "abs_path": f"/srv/app/app/{name}.py", "function": fn,
               "module": f"app.{name}", "lineno": ln, "in_app": True, "pre_context": source,
               "context_line": f"    return {fn}(request)", "post_context": source[:2],
               "vars": {"request": "<Request 'POST /orders'>", "order": "{'id': 17, 'items': 3}"}}
              for name, fn, ln in (("wsgi", "dispatch", 88), ("views", "create_order", 41),
                                   ("orders", "parse_quantity", 12))]
    frames[-1]["lineno"] = line
    return {
        "event_id": uuid.uuid4().hex, "timestamp": "2026-12-03T10:00:00.000000Z", "platform": "python",
        "level": "error", "logger": "app.orders", "server_name": "web-7d9f", "release": "shop@9f2c1e0",
        "environment": "production", "transaction": "/orders",
        "sdk": {"name": "sentry.python", "version": "2.75.0", "packages": [{"name": "pypi:sentry-sdk",
                                                                          "version": "2.75.0"}],
                "integrations": ["argv", "atexit", "dedupe", "excepthook", "logging", "modules", "stdlib"]},
        "exception": {"values": [{"type": "ValueError", "value": f"invalid literal for int() with base 10: 'x{n}'",
                                  "module": None, "mechanism": {"type": "generic", "handled": True},
                                  "stacktrace": {"frames": frames}}]},
        "breadcrumbs": {"values": [{"type": "default", "category": "query", "message": f"SELECT * FROM orders WHERE id = {i}",
                                    "timestamp": "2026-12-03T09:59:59.000000Z", "level": "info"} for i in range(3)]},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"},
                     "os": {"name": "Linux", "version": "6.1"},
                     "trace": {"trace_id": uuid.uuid4().hex, "span_id": uuid.uuid4().hex[:16]}},
        "tags": {"region": "eu"}, "user": {"id": str(n % 997)},
        "request": {"url": "https://shop.example/orders", "method": "POST"},
        "extra": {"sys.argv": ["gunicorn", "app.wsgi"]},
    }


def envelope(n: int, line: int) -> bytes:
    event = json.dumps(_event(n, line)).encode()
    header = json.dumps({"event_id": json.loads(event)["event_id"], "sent_at": "2026-12-03T10:00:00.000000Z"})
    item = json.dumps({"type": "event", "content_type": "application/json", "length": len(event)})
    return gzip.compress(f"{header}\n{item}\n".encode() + event + b"\n", compresslevel=9)


def write_bodies(base: Path, count: int, first: int = 0) -> tuple[int, int]:
    """`count` envelopes split over the wrk threads; half repeat one of 200 lines."""
    files = [open(f"{base}.{t}", "wb") for t in range(WRK_THREADS)]
    raw_size = packed = 0
    for n in range(first, first + count):
        line = 1000 + n % 200 if n % 2 == 0 else 100_000 + n
        body = envelope(n, line)
        packed += len(body)
        raw_size += len(gzip.decompress(body)) if n < first + 50 else 0
        files[n % WRK_THREADS].write(f"{len(body)}\n".encode() + body)
    for f in files:
        f.close()
    return raw_size // min(count, 50), packed // count


def stored(db_url: str) -> tuple[int, int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        total, bugs = conn.execute(select(func.coalesce(func.sum(ErrorLog.occurrence_count), 0), func.count())).one()
    engine.dispose()
    return int(total), int(bugs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bodies", type=int, default=40_000, help="distinct envelopes (each its own event_id)")
    parser.add_argument("--threads", type=int, default=16, help="THREADS of every server (stack.yml's ingest value)")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    checks: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        base, warm = Path(tmp) / "bodies", Path(tmp) / "warm"
        raw_size, packed = write_bodies(base, args.bodies)
        write_bodies(warm, 2000, first=args.bodies)  # the warm-up's own event ids
        print(f"envelopes: {args.bodies}, ~{raw_size} bytes each inflated, ~{packed} gzip", flush=True)

        with function_server("hello", ROOT / "bench" / "hello" / "main.py", health="/", threads=args.threads) as url:
            run_wrk(url, REPORT_SCRIPT, args.connections, 2)  # warm-up
            results["hello-world"] = run_wrk(url, REPORT_SCRIPT, args.connections, args.seconds)

        with pg_database() as db_url:
            engine = create_engine(db_url)
            with function_server("sentry", ROOT / "functions" / "sentry" / "main.py",
                                 env={"DATABASE_URL": db_url, "LOGCENTER_DB_POOL_SIZE": "8"},
                                 health="/_/ready", threads=args.threads) as url:  # ready: the schema exists
                key = uuid.uuid4().hex
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO project (id, project_id, public_key, created_at) "
                                      "VALUES (1, 'bench', :key, now())"), {"key": key})
                engine.dispose()
                env = {"BENCH_BODIES": str(warm), "BENCH_PATH": "/api/1/envelope/",
                       "BENCH_AUTH": f"Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key={key}"}
                warm_run = run_wrk(url, SENTRY_SCRIPT, args.connections, 2, threads=WRK_THREADS, env=env)
                env["BENCH_BODIES"] = str(base)
                r = run_wrk(url, SENTRY_SCRIPT, args.connections, args.seconds, threads=WRK_THREADS, env=env)
                results["sentry"] = r
            total, bugs = stored(db_url)
            sent = r["requests"]
            warm_accepted = min(warm_run["requests"] - warm_run["non_2xx"], 2000)
            accepted = r["requests"] - r["non_2xx"]
            # past --bodies the bodies repeat: retries of accepted events, answered and not counted
            expected = min(accepted, args.bodies) + warm_accepted
            checks.append(f"sentry: stored {total} occurrences in {bugs} bugs for {expected} distinct accepted events "
                          f"(warm-up included; wrk also counts up to {2 * args.connections} requests "
                          f"cut off at the deadline)" + ("" if sent <= args.bodies else
                                                         f" — {sent - args.bodies} repeats: raise --bodies"))

        for keep in ("50", "0"):
            with pg_database() as db_url:
                env = {"DATABASE_URL": db_url, "LOGCENTER_DB_POOL_SIZE": "8", "LOGCENTER_OCCURRENCES_PER_BUG": keep}
                with function_server("report", ROOT / "functions" / "report" / "main.py", env=env,
                                     health="/_/ready", threads=args.threads) as url:
                    run_wrk(url, REPORT_SCRIPT, args.connections, 2)
                    results[f"report occ={keep}"] = run_wrk(url, REPORT_SCRIPT, args.connections, args.seconds)

    print(f"{'target':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:<16} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} {r['non_2xx']:>8}")
    hello, sentry = results["hello-world"], results["sentry"]
    with_occ, without = results["report occ=50"], results["report occ=0"]
    ratio = sentry["rps"] / hello["rps"]
    occ_cost = 1 - with_occ["rps"] / without["rps"]
    print(f"sentry / hello-world throughput: {ratio:.2f}x (target >= 0.30x)")
    print(f"sentry p99: {sentry['p99_ms']:.1f} ms (target <= 50 ms)")
    print(f"report with occurrences vs without: {occ_cost:+.1%} slower (target within 15 %)")
    for line in checks:
        print(line)
    print(json.dumps({"sentry_ratio": round(ratio, 3), "occurrence_cost": round(occ_cost, 3), **results}))


if __name__ == "__main__":
    main()
