"""Database restart under load, with figures (the same run as tests/reliability/test_db_restart.py).

A private PostgreSQL cluster (initdb in a temp dir, its own port, run as the postgres OS
user; the machine's shared cluster is never touched) behind report, bugs, tasks and stats
under functions-framework's production server. Writers and readers run throughout; the
cluster is stopped with a fast shutdown, later with an immediate one (a crash), each kept
down for --down seconds, then started again.

    .venv/bin/python -m bench.db_restart [--down 6] [--writers 6] [--readers 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import bench.common  # noqa: F401 - puts the checkout on sys.path
from tests.reliability.restart import analyse, run_restart


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down", type=float, default=6.0, help="seconds the database stays down")
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--readers", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs:
        run = run_restart(Path(logs), outages=(("fast", args.down), ("immediate", args.down)),
                          writers=args.writers, readers=args.readers)
    result = analyse(run)
    f = result["figures"]
    print(f"{f['reports']} reports: {f['reports_2xx']} accepted, {f['reports_503']} answered 503, "
          f"{f['other_5xx']} other 5xx or no answer")
    print(f"accepted one-off reports {f['once_accepted']}, stored {f['once_stored']}; hot reports accepted "
          f"{f['hot_accepted']}, counted {f['hot_stored']}; committed but answered 503: {f['committed_but_answered_503']}")
    for o in f["outages"]:
        print(f"{o['mode']:>9} shutdown: down {o['down_seconds']} s; {o['reports_while_down']} reports while down, "
              f"all 503: {o['503_while_down'] == o['reports_while_down']}, slowest {o['max_latency_while_down_ms']} ms; "
              f"first 503 {o['first_503_after_stop_began_s']} s after the stop began; first accepted report "
              f"{o['first_report_2xx_after_start_s']} s after the start; each function serving again after {o['recovered_s']} s")
    print(json.dumps(f))
    if result["problems"]:
        print("FAILED:\n" + "\n".join(result["problems"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
