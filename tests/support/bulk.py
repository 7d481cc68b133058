"""Many bugs at once, straight into the tables, for tests about size (30,000 projects).

Sending 30,000 reports through HTTP takes minutes on two cores; what those tests check is
what the read side does with that many rows. The rows and their counters are written the
way the report upsert writes them, so `counter_mismatches()` stays empty. The database makes
the rows itself (a recursive CTE, the same SQL on SQLite and PostgreSQL): sending them from
Python costs seconds per 10,000 on pg8000."""

from __future__ import annotations

from sqlalchemy import text

from shared.db.engine import get_engine
from shared.timeutil import utcnow

FIRST = 100_000  # project n is `{prefix}{FIRST + n}`: names of one length sort as numbers do

_NUMBERS = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count) "


def insert_projects(count: int, prefix: str = "proj") -> list[str]:
    """`count` projects `{prefix}100000`, `{prefix}100001`, …, each with one NEW runtime bug."""
    params = {"count": count, "prefix": prefix, "first": FIRST, "now": utcnow(), "no": False}
    project = f"(:prefix || (:first + i))"
    with get_engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO errorlog (project_id, source, level, error_type, error_message, fingerprint, status, "
            "occurrence_count, is_regression, context, first_seen_at, last_seen_at, last_ingest) "
            + _NUMBERS + f"SELECT {project}, 'runtime', 'ERROR', 'BulkError', 'bulk', 'bulk-' || {project}, "
            "'NEW', 1, :no, '{}', :now, :now, 'created' FROM n"), params)
        conn.execute(text(
            "INSERT INTO errorlog_counts (project_id, source, status, level, bucket, bugs, occurrences, last_seen_at) "
            + _NUMBERS + f"SELECT {project}, 'runtime', 'NEW', 'ERROR', 0, 1, 1, :now FROM n"), params)
    return [f"{prefix}{FIRST + n}" for n in range(count)]
