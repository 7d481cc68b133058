"""Ingest throughput with 20 alert rules vs none (issue 14: within 10 %).

The report function under functions-framework's production server (gunicorn, 1 worker,
8 threads), driven by wrk with bench/ingest.lua (half the reports repeat one of 200
fingerprints, half are new bugs), on a fresh PostgreSQL database per configuration:

- `none`: no rule;
- `20-other`: 20 rules for other projects — what the hot path pays for matching alone
  (the cached rules; zero statements);
- `20-mixed`: 20 rules of which 17 are for other projects, 2 want every new bug and
  regression of any project, 1 counts spikes of any project (one upsert per report), so
  every new bug here also writes 2 outbox rows. The bench's half-new-bugs load makes this a
  worst case: a real service sees far fewer new bugs than repeats.

No notify runs (LOGCENTER_NOTIFY_URL unset): this measures the report's own cost.

    .venv/bin/python -m bench.alerts [--seconds 15] [--connections 16]
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import create_engine, text

from bench.common import ROOT, function_server, pg_database, run_wrk
from shared.alerts.rules import _COLUMNS, _params, validate
from shared.timeutil import utcnow

SCRIPT = ROOT / "bench" / "ingest.lua"


def rules_for(config: str) -> list[dict]:
    other = [{"name": f"other-{i}", "project_id": f"team_{i}", "channel": {"type": "webhook",
                                                                         "url": f"http://127.0.0.1:9/{i}"}}
             for i in range(20)]
    if config == "none":
        return []
    if config == "20-other":
        return other
    everywhere = [{"name": f"all-{i}", "channel": {"type": "feishu", "url": f"http://127.0.0.1:9/all{i}"}}
                  for i in range(2)]
    spike = [{"name": "spike", "triggers": {"new_bug": False, "regression": False,
                                            "spike": {"count": 1000, "minutes": 5}},
              "channel": {"type": "wecom", "url": "http://127.0.0.1:9/spike"}}]
    return other[:17] + everywhere + spike


def store_rules(db_url: str, config: str) -> None:
    """Straight into the table (the alerts function would do the same), before the server starts."""
    from shared.db.engine import dispose_engines, get_engine

    engine = get_engine(db_url)  # creates the schema
    columns = [c.strip() for c in _COLUMNS.split(",")]
    with engine.begin() as conn:
        for body in rules_for(config):
            params = {**_params(validate(body)), "now": utcnow()}
            conn.execute(text(f"INSERT INTO alert_rule ({_COLUMNS}, created_at, updated_at) VALUES "
                              f"({', '.join(':' + c for c in columns)}, :now, :now)"), params)
    dispose_engines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--configs", default="none,20-other,20-mixed")
    args = parser.parse_args()

    results, outbox = {}, {}
    for config in args.configs.split(","):
        with pg_database() as db_url:
            store_rules(db_url, config)
            env = {"DATABASE_URL": db_url, "LOGCENTER_DB_POOL_SIZE": "8"}
            with function_server("report", ROOT / "functions" / "report" / "main.py", env=env) as url:
                run_wrk(url, SCRIPT, args.connections, 2)  # warm-up
                results[config] = run_wrk(url, SCRIPT, args.connections, args.seconds)
            engine = create_engine(db_url)
            with engine.connect() as conn:
                outbox[config] = conn.execute(text("SELECT count(*) FROM alert_delivery")).scalar()
            engine.dispose()

    print(f"{'rules':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'non-2xx':>8} {'outbox':>8}")
    for name, r in results.items():
        print(f"{name:<10} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} "
              f"{r['non_2xx']:>8} {outbox[name]:>8}")
    if "none" in results:
        for name, r in results.items():
            if name != "none":
                print(f"{name} / none throughput: {r['rps'] / results['none']['rps']:.0%} (target >= 90%)")
    print(json.dumps({"results": results, "outbox_rows": outbox}))


if __name__ == "__main__":
    main()
