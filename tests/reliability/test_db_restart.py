"""PostgreSQL restarted under load (a private cluster; tests/reliability/restart.py does the work).

Two outages in one run: a clean restart (fast shutdown) and a crash (immediate shutdown).
While the database is down, report answers 503 + Retry-After + the JSON error shape, fast;
within 5 s of its return report, bugs, tasks and stats serve again without being restarted;
every 2xx report is stored exactly once and the counters agree with the rows.
"""

from __future__ import annotations

import json

from tests.reliability.restart import analyse, run_restart


def test_functions_survive_a_database_restart(tmp_path):
    run = run_restart(tmp_path)
    result = analyse(run)
    print(json.dumps(result["figures"], indent=1))
    assert not result["problems"], "\n".join(result["problems"]) + "\n" + run["logs"]
    figures = result["figures"]
    assert all(o["reports_while_down"] >= 10 for o in figures["outages"])
    assert figures["reports_2xx"] > 200
