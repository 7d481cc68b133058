"""Turning one validated report into a bug: a single atomic upsert on the fingerprint.

The statement is hand-written SQL that both databases accept (`INSERT … ON CONFLICT …
DO UPDATE … RETURNING`): ingest is the hot path, and building the same SQLAlchemy
construct per request cost more than the database work itself (docs/benchmarks.md).
On PostgreSQL the day counter and the bug counters ride in the same statement as
data-modifying CTEs, so a report is one round trip plus the commit; on SQLite the same
changes are separate statements in the same transaction (counters.after_ingest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text

from shared.core.fingerprint import fingerprint
from shared.core.vocabulary import RESOLVED_STATUSES
from shared.db import counters
from shared.db.counters import bucket_of
from shared.db.engine import get_engine, write_options
from shared.ingest.validation import Report
from shared.settings import get_settings
from shared.timeutil import local_day, utcnow


@dataclass
class IngestResult:
    id: int
    fingerprint: str
    status: str
    is_new: bool
    occurrence_count: int
    action: str  # created | counted | rescan | reopened


_COLUMNS = ("project_id", "source", "level", "environment", "version", "commit_hash", "error_type",
            "error_message", "file_path", "line_number", "stack_trace", "context", "fingerprint",
            "reported_at", "scan_key")
# A bug keeps the source and level of its first report (its counters are keyed by both; the
# fingerprint rule already implies the source); everything else describes the latest report.
_LATEST = [c for c in _COLUMNS if c not in ("fingerprint", "source", "level")]
_RESOLVED = ", ".join(f"'{s}'" for s in RESOLVED_STATUSES)
# Every right-hand side reads the row as it was before this update.
_REGRESSION = f"(errorlog.source = 'runtime' AND errorlog.status IN ({_RESOLVED}))"
_SAME_SCAN = "(errorlog.scan_key IS NOT NULL AND errorlog.scan_key = excluded.scan_key)"

_UPSERT = f"""
INSERT INTO errorlog ({", ".join(_COLUMNS)}, status, occurrence_count, is_regression,
                      first_seen_at, last_seen_at, last_ingest)
VALUES ({", ".join(":" + c for c in _COLUMNS)}, 'NEW', 1, false, :now, :now, 'created')
ON CONFLICT (fingerprint) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in _LATEST)},
    last_seen_at = excluded.last_seen_at,
    occurrence_count = CASE WHEN {_SAME_SCAN} THEN errorlog.occurrence_count
                            ELSE errorlog.occurrence_count + 1 END,
    status = CASE WHEN {_REGRESSION} THEN 'NEW' ELSE errorlog.status END,
    is_regression = CASE WHEN {_REGRESSION} THEN true ELSE errorlog.is_regression END,
    reopened_from = CASE WHEN {_REGRESSION} THEN errorlog.status END,
    last_ingest = CASE WHEN {_REGRESSION} THEN 'reopened' WHEN {_SAME_SCAN} THEN 'rescan'
                       ELSE 'counted' END
RETURNING id, status, level, occurrence_count, last_ingest, reopened_from"""

_COUNT_DAY = """
INSERT INTO errorlog_daily (day, project_id, source, bucket, count)
VALUES (:day, :project_id, :source, :bucket, 1)
ON CONFLICT (day, project_id, source, bucket) DO UPDATE SET count = errorlog_daily.count + 1"""

# counters.after_ingest() in SQL. The two CTEs on errorlog_counts never touch the same row:
# a reopened bug moves from a resolved status to NEW.
_COUNTS_IN = counters.ADD.replace(
    "VALUES (:project_id, :source, :status, :level, :bucket, :d_bugs, :d_occurrences, :last_seen_at)",
    """SELECT :project_id, :source, bug.status, bug.level, :bucket,
       CASE bug.last_ingest WHEN 'counted' THEN 0 WHEN 'rescan' THEN 0 ELSE 1 END,
       CASE bug.last_ingest WHEN 'rescan' THEN 0 WHEN 'reopened' THEN bug.occurrence_count ELSE 1 END,
       CAST(:now AS TIMESTAMP) FROM bug""")
assert _COUNTS_IN != counters.ADD

_UPSERT_AND_COUNT_PG = text(f"""
WITH bug AS ({_UPSERT}),
per_day AS (
    INSERT INTO errorlog_daily (day, project_id, source, bucket, count)
    SELECT :day, :project_id, :source, :bucket, 1 FROM bug WHERE bug.last_ingest <> 'rescan'
    ON CONFLICT (day, project_id, source, bucket) DO UPDATE SET count = errorlog_daily.count + 1
),
counts_in AS ({_COUNTS_IN}),
counts_out AS (
    UPDATE errorlog_counts SET bugs = errorlog_counts.bugs - 1,
                               occurrences = errorlog_counts.occurrences - (bug.occurrence_count - 1)
    FROM bug
    WHERE bug.last_ingest = 'reopened' AND errorlog_counts.project_id = :project_id
      AND errorlog_counts.source = :source AND errorlog_counts.status = bug.reopened_from
      AND errorlog_counts.level = bug.level AND errorlog_counts.bucket = :bucket
)
SELECT id, status, level, occurrence_count, last_ingest, reopened_from FROM bug""")
_UPSERT_TEXT = text(_UPSERT)
_COUNT_DAY_TEXT = text(_COUNT_DAY)
_HISTORY = text("INSERT INTO errorlog_status_history (bug_id, from_status, to_status, note, actor, created_at) "
                "VALUES (:bug_id, :from_status, 'NEW', :note, 'system', :now)")


def scan_key(report: Report) -> str | None:
    """The identity of one observed crash: a re-scan of the same crash repeats it."""
    if report.source != "deployment":
        return None
    ctx = report.context
    if ctx.get("pod_name") is None:
        return None
    return f"{ctx.get('pod_name')}|{ctx.get('restart_count')}|{ctx.get('reason')}"[:400]


def _json(value):  # noqa: ANN001, ANN202
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def ingest(report: Report) -> IngestResult:
    now = utcnow()
    fp = fingerprint(report.source, report.project_id, report.error_type, report.file_path,
                     report.line_number, report.context)
    params = {c: getattr(report, c, None) for c in _COLUMNS}
    params.update(fingerprint=fp, stack_trace=_json(report.stack_trace), context=_json(report.context),
                  scan_key=scan_key(report), now=now, day=local_day(now, get_settings().timezone),
                  bucket=bucket_of(fp))
    with get_engine().execution_options(**write_options()).begin() as conn:
        if conn.dialect.name == "postgresql":
            row = conn.execute(_UPSERT_AND_COUNT_PG, params).one()
        else:
            row = conn.execute(_UPSERT_TEXT, params).one()
            if row.last_ingest != "rescan":
                conn.execute(_COUNT_DAY_TEXT, params)
            counters.after_ingest(conn, action=row.last_ingest, project_id=report.project_id,
                                  source=report.source, level=row.level, status=row.status,
                                  reopened_from=row.reopened_from, occurrence_count=row.occurrence_count,
                                  bucket=params["bucket"], now=now)
        if row.last_ingest == "reopened":
            conn.execute(_HISTORY, {"bug_id": row.id, "from_status": row.reopened_from, "now": now,
                                    "note": f"regression: reported again after {row.reopened_from}"})
    return IngestResult(id=row.id, fingerprint=fp, status=row.status, is_new=row.last_ingest == "created",
                        occurrence_count=row.occurrence_count, action=row.last_ingest)
