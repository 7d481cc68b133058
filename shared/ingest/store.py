"""Turning one validated report into a bug: a single atomic upsert on the fingerprint.

The statement is hand-written SQL that both databases accept (`INSERT … ON CONFLICT …
DO UPDATE … RETURNING`): ingest is the hot path, and building the same SQLAlchemy
construct per request cost more than the database work itself (docs/benchmarks.md).
On PostgreSQL the day counter, the bug counters and the occurrence (with the one that
falls off the per-bug cap) ride in the same statement as data-modifying CTEs, so a report
is one round trip plus the commit; on SQLite the same changes are separate statements in
the same transaction (counters.after_ingest).

A report with an `event_id` first claims it (`ingest_event`) in the same transaction: a
retry of an accepted event within 24 h finds it claimed and is answered with the bug as it
stands, counted once. A failed transaction releases the claim with everything else, so a
retry after a 503 is counted.

Releases (shared/releases/track.py) keep their counters in the same transaction through one
call after the upsert; it writes nothing for the common report (one more occurrence of an
open bug).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from shared.alerts import outbox, poke
from shared.core.fingerprint import custom_fingerprint, fingerprint, fingerprint_parts
from shared.core.vocabulary import RESOLVED_STATUSES
from shared.db import counters
from shared.db.counters import bucket_of
from shared.db.engine import get_engine, write_options
from shared.ingest.validation import Report
from shared.releases import track as release_track
from shared.settings import get_settings
from shared.timeutil import local_day, utcnow


@dataclass
class IngestResult:
    id: int
    fingerprint: str
    status: str
    is_new: bool
    occurrence_count: int
    action: str  # created | counted | rescan | reopened | duplicate (an event_id seen already)
    alerts: int = 0  # alert messages this report put in the outbox


_COLUMNS = ("project_id", "source", "level", "environment", "version", "commit_hash", "error_type",
            "error_message", "file_path", "line_number", "stack_trace", "context", "fingerprint",
            "reported_at", "scan_key", "first_version")
# A bug keeps the source and level of its first report (its counters are keyed by both; the
# fingerprint rule already implies the source); everything else describes the latest report.
_LATEST = [c for c in _COLUMNS if c not in ("fingerprint", "source", "level", "first_version")]
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

# One occurrence per counted report, and the one that falls off the per-bug cap (by seq: the
# bug's occurrence_count when it was written). Same parameters as the upsert, plus :keep.
_OCC_COLUMNS = "bug_id, seq, created_at, level, message, environment, version, commit_hash, reported_at, " \
               "context, stack_trace, event_id"
_OCC_VALUES = ":level, :error_message, :environment, :version, :commit_hash, :reported_at, :context, " \
              ":stack_trace, :event_id"
_OCCURRENCE_PG = f"""
occ AS (
    INSERT INTO occurrence ({_OCC_COLUMNS})
    SELECT bug.id, bug.occurrence_count, CAST(:now AS TIMESTAMP), {_OCC_VALUES}
    FROM bug WHERE bug.last_ingest <> 'rescan'
),
occ_trim AS (
    DELETE FROM occurrence USING bug
    WHERE bug.last_ingest <> 'rescan' AND occurrence.bug_id = bug.id
      AND occurrence.seq <= bug.occurrence_count - CAST(:keep AS BIGINT)
),"""
_OCCURRENCE = text(f"INSERT INTO occurrence ({_OCC_COLUMNS}) VALUES (:bug_id, :seq, :now, {_OCC_VALUES})")
_OCCURRENCE_TRIM = text("DELETE FROM occurrence WHERE bug_id = :bug_id AND seq <= :seq - :keep")

# Claim an event id; a stale claim (older than 24 h) is taken over. No row back: a retry.
_CLAIM_EVENT = text("""
INSERT INTO ingest_event (project_id, event_id, fingerprint, created_at)
VALUES (:project_id, :event_id, :fingerprint, :now)
ON CONFLICT (project_id, event_id) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
WHERE ingest_event.created_at < :event_cutoff
RETURNING event_id""")
_CLAIMED_BUG = text("SELECT e.fingerprint, b.id, b.status, b.occurrence_count FROM ingest_event e "
                    "LEFT JOIN errorlog b ON b.fingerprint = e.fingerprint "
                    "WHERE e.project_id = :project_id AND e.event_id = :event_id")
EVENT_ID_WINDOW = timedelta(hours=24)

_UPSERT_AND_COUNT_PG = f"""
WITH bug AS ({_UPSERT}),{{occurrence}}
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
SELECT id, status, level, occurrence_count, last_ingest, reopened_from FROM bug"""
_UPSERT_PG_WITH_OCCURRENCE = text(_UPSERT_AND_COUNT_PG.format(occurrence=_OCCURRENCE_PG))
_UPSERT_PG = text(_UPSERT_AND_COUNT_PG.format(occurrence=""))
_UPSERT_TEXT = text(_UPSERT)
_COUNT_DAY_TEXT = text(_COUNT_DAY)
_HISTORY = text("INSERT INTO errorlog_status_history (bug_id, from_status, to_status, note, actor, created_at) "
                "VALUES (:bug_id, :from_status, 'NEW', :note, 'system', :now)")


def scan_key(report: Report) -> str | None:
    """The identity of one observed crash: a re-scan of the same crash repeats it.

    Pod, restart count and reason; when the scanner names the termination it saw, its
    finish time stands for the restart count: a crash seen as `terminated`, then in
    `CrashLoopBackOff`, then as the last state of the restarted container (restart count one
    higher) is one crash."""
    if report.source != "deployment":
        return None
    ctx = report.context
    if ctx.get("pod_name") is None:
        return None
    termination = ctx.get("termination")
    finished = termination.get("finished_at") if isinstance(termination, dict) else None
    crash = f"at {finished}" if isinstance(finished, str) and finished else ctx.get("restart_count")
    return f"{ctx.get('pod_name')}|{crash}|{ctx.get('reason')}"[:400]


def fingerprint_of(report: Report) -> str:
    if report.fingerprint_parts is not None:
        default = fingerprint_parts(report.source, report.project_id, report.error_type, report.file_path,
                                    report.line_number, report.context)
        return custom_fingerprint(report.source, report.project_id, report.fingerprint_parts, default)
    return fingerprint(report.source, report.project_id, report.error_type, report.file_path,
                       report.line_number, report.context)


def _json(value):  # noqa: ANN001, ANN202
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def ingest(report: Report) -> IngestResult:
    settings = get_settings()
    now = utcnow()
    fp = fingerprint_of(report)
    keep = settings.occurrences_per_bug
    params = {c: getattr(report, c, None) for c in _COLUMNS}
    params.update(fingerprint=fp, stack_trace=_json(report.stack_trace), context=_json(report.context),
                  scan_key=scan_key(report), first_version=report.version, now=now,
                  day=local_day(now, settings.timezone), bucket=bucket_of(fp), keep=keep,
                  event_id=report.event_id)
    with get_engine().execution_options(**write_options()).begin() as conn:
        if report.event_id is not None:
            duplicate = _claim_event(conn, params, now)
            if duplicate is not None:
                return duplicate
        if conn.dialect.name == "postgresql":
            row = conn.execute(_UPSERT_PG_WITH_OCCURRENCE if keep else _UPSERT_PG, params).one()
        else:
            row = conn.execute(_UPSERT_TEXT, params).one()
            if row.last_ingest != "rescan":
                conn.execute(_COUNT_DAY_TEXT, params)
                if keep:
                    occurrence = {**params, "bug_id": row.id, "seq": row.occurrence_count}
                    conn.execute(_OCCURRENCE, occurrence)
                    conn.execute(_OCCURRENCE_TRIM, occurrence)
            counters.after_ingest(conn, action=row.last_ingest, project_id=report.project_id,
                                  source=report.source, level=row.level, status=row.status,
                                  reopened_from=row.reopened_from, occurrence_count=row.occurrence_count,
                                  bucket=params["bucket"], now=now)
        release_track.after_ingest(conn, report, row, now)
        if row.last_ingest == "reopened":
            conn.execute(_HISTORY, {"bug_id": row.id, "from_status": row.reopened_from, "now": now,
                                    "note": f"regression: reported again after {row.reopened_from}"})
        # The alert hook (shared/alerts/outbox.py): in this transaction, no statement at all
        # when no rule can match.
        alerts = outbox.after_ingest(conn, bug_id=row.id, action=row.last_ingest, project_id=report.project_id,
                                     source=report.source, level=report.level, now=now)
    if alerts:
        poke.poke()  # after the commit: notify finds the rows; never blocks, never raises
    return IngestResult(id=row.id, fingerprint=fp, status=row.status, is_new=row.last_ingest == "created",
                        occurrence_count=row.occurrence_count, action=row.last_ingest, alerts=alerts)


def _claim_event(conn, params: dict, now) -> IngestResult | None:  # noqa: ANN001
    """None when this report's event id is claimed now; the bug's state when it was already."""
    claimed = conn.execute(_CLAIM_EVENT, {**params, "event_cutoff": now - EVENT_ID_WINDOW}).first()
    if claimed is not None:
        return None
    seen = conn.execute(_CLAIMED_BUG, params).one()
    if seen.id is None:
        # The bug it landed on is gone (retention): count this one as new.
        conn.execute(text("UPDATE ingest_event SET fingerprint = :fingerprint, created_at = :now "
                          "WHERE project_id = :project_id AND event_id = :event_id"), params)
        return None
    return IngestResult(id=seen.id, fingerprint=seen.fingerprint, status=seen.status, is_new=False,
                        occurrence_count=seen.occurrence_count, action="duplicate")
