"""Soak (CI size): one minute of mixed load at 32 connections against the production server
(functions-framework → gunicorn) of report, bugs and stats, each on its own port, all on one
PostgreSQL database. 80 % reports with realistic duplicates across the three sources, 15 %
bug lists/details, 5 % stats. Nothing may fail and nothing may be lost or counted twice.
The 10-minute run is `bench/soak.py --minutes 10` (docs/reliability.md).
"""

from __future__ import annotations

import pytest

from shared.settings import reset_settings
from tests.reliability.load import Servers, check_soak, run_mixed_load_processes, stored_totals
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.snapshot import counter_mismatches

SECONDS = 60
CONNECTIONS = 32


@pytest.fixture
def soak_db():
    url = create_pg_database("logcenter_soak")
    yield url
    from shared.db.engine import dispose_engines

    dispose_engines()
    drop_pg_database(url)


def test_one_minute_soak_loses_nothing(soak_db, tmp_path, monkeypatch):
    with Servers(["report", "bugs", "stats"], soak_db, tmp_path) as servers:
        urls = {name: s.url for name, s in servers.items()}
        workers = servers.worker_pids()
        result = run_mixed_load_processes(urls, CONNECTIONS, SECONDS, processes=2)
        assert servers.worker_pids() == workers, "a gunicorn worker died and was replaced"
        logs = servers.log_text()
    monkeypatch.setenv("DATABASE_URL", soak_db)
    reset_settings()
    totals = stored_totals(soak_db)
    problems = check_soak(result, totals, counter_mismatches())
    print(f"soak {SECONDS}s: {result.requests} requests ({result.requests / result.seconds:.0f}/s), "
          f"{result.accepted_reports} reports accepted, {totals}")
    assert not problems, "\n".join(problems) + "\n" + logs
    # The load really was mixed and really deduplicated.
    assert result.accepted_reports > 2000
    assert result.count(lambda k, s: k == "list") > 200 and result.count(lambda k, s: k == "stats") > 50
    assert all(totals.get(f"occurrences_{s}", 0) > 100 for s in ("runtime", "cicd", "deployment"))
    assert totals["bugs"] < totals["occurrences"] / 5
