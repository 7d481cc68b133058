from sqlalchemy import select, text

from shared.db.counters import bucket_of, recount
from shared.db.engine import get_engine
from shared.db.models import BugCounts
from tests.functions.conftest import cicd, deployment, runtime
from tests.support.snapshot import counter_mismatches


def counter_rows():
    with get_engine().connect() as conn:
        return sorted((r.project_id, r.source, r.status, r.level, r.bucket, r.bugs, r.occurrences)
                      for r in conn.execute(select(BugCounts)) if r.bugs or r.occurrences)


def test_bucket_rule_is_the_same_in_python_and_sql(db_url):
    get_engine()
    fps = ["0000000" + c + "ffff" for c in "0123456789abcdef"] + ["zz", ""]
    with get_engine().connect() as conn:
        for fp in fps:
            from shared.db.counters import BUCKET_SQL

            sql = BUCKET_SQL.replace("fingerprint", ":fp")
            assert conn.execute(text(f"SELECT {sql}"), {"fp": fp}).scalar() == bucket_of(fp)


def test_counters_written_incrementally_equal_a_recount(function_client):
    report, bugs, tasks = function_client("report"), function_client("bugs"), function_client("tasks")
    ids = []
    for i in range(30):
        payload = [runtime(line=i % 7), cicd(step=f"s{i % 3}"), deployment(restarts=i % 4)][i % 3]
        ids.append(report.post("/api/v1/logs/report", json=payload).get_json()["id"])
    bugs.patch(f"/api/v1/bugs/{ids[0]}/status", json={"status": "FIXED"})
    report.post("/api/v1/logs/report", json=runtime(line=0))  # regression reopen
    tasks.post(f"/api/v1/tasks/{ids[3]}/claim")
    bugs.patch(f"/api/v1/bugs/{ids[1]}/status", json={"status": "IGNORED"})
    assert counter_mismatches() == {}
    before = counter_rows()
    with get_engine().begin() as conn:
        recount(conn)
    assert counter_rows() == before
