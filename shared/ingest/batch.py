"""Writing a batch of validated reports in one transaction: the statements of ingest.

A batch holds reports from concurrent requests (shared/ingest/writer.py). Reports with the
same fingerprint form one group: one row update with the summed count, one occurrence per
report, and each report still gets its own result (its own count, and `is_new` only for the
first). The writer never puts two deployment reports of one fingerprint in one batch (the
re-scan rule compares each with the one before) nor one event id twice.

On PostgreSQL a whole batch is one statement (plus one for event-id claims when reports
carry ids): the groups arrive as one JSON parameter, and the upsert, the day counters, the
bug counters, the regression history and the occurrences (with the ones that fall off the
per-bug cap) are data-modifying CTEs of it — one round trip and one commit for up to
MAX_BATCH reports. On SQLite the same changes are separate statements in the same
transaction.

Concurrent batches (two workers, two replicas) lock rows in one order — bugs by
fingerprint, counter and day rows by their keys, event ids by id — so two batches that share
rows wait for each other instead of deadlocking.

Every right-hand side of the upsert reads the row as it was before this statement: a bug
keeps the source and level of its first report (its counters are keyed by both) and its
first_version; everything else describes the latest report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.alerts import outbox
from shared.core.vocabulary import RESOLVED_STATUSES
from shared.db import counters
from shared.db.driver import Connection
from shared.releases import track as release_track

COLUMNS = ("project_id", "source", "level", "environment", "version", "commit_hash", "error_type",
           "error_message", "file_path", "line_number", "stack_trace", "context", "fingerprint",
           "reported_at", "scan_key", "first_version")
_LATEST = [c for c in COLUMNS if c not in ("fingerprint", "source", "level", "first_version")]
_RESOLVED = ", ".join(f"'{s}'" for s in RESOLVED_STATUSES)
_REGRESSION = f"(errorlog.source = 'runtime' AND errorlog.status IN ({_RESOLVED}))"
_SAME_SCAN = "(errorlog.scan_key IS NOT NULL AND errorlog.scan_key = excluded.scan_key)"
EVENT_ID_WINDOW = timedelta(hours=24)

# The new row carries the group's size as its occurrence_count: `excluded.occurrence_count`
# is how many reports this statement adds to an existing bug.
_ON_CONFLICT = f"""
ON CONFLICT (fingerprint) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in _LATEST)},
    last_seen_at = excluded.last_seen_at,
    occurrence_count = CASE WHEN {_SAME_SCAN} THEN errorlog.occurrence_count
                            ELSE errorlog.occurrence_count + excluded.occurrence_count END,
    status = CASE WHEN {_REGRESSION} THEN 'NEW' ELSE errorlog.status END,
    is_regression = CASE WHEN {_REGRESSION} THEN true ELSE errorlog.is_regression END,
    reopened_from = CASE WHEN {_REGRESSION} THEN errorlog.status END,
    last_ingest = CASE WHEN {_REGRESSION} THEN 'reopened' WHEN {_SAME_SCAN} THEN 'rescan'
                       ELSE 'counted' END
RETURNING id, fingerprint, status, level, occurrence_count, last_ingest, reopened_from"""
_INSERT_HEAD = (f"INSERT INTO errorlog ({', '.join(COLUMNS)}, status, occurrence_count, is_regression, "
                "first_seen_at, last_seen_at, last_ingest)")

_UPSERT_ONE = (_INSERT_HEAD + f"\nVALUES ({', '.join(':' + c for c in COLUMNS)}, 'NEW', :n, false, :now, :now, "
               "'created')" + _ON_CONFLICT)

# context and stack_trace are JSON text already (shared/ingest/store.py): the batch parameter
# carries them as JSON values, spliced in rather than encoded again as escaped strings, and a
# `json` column gives back exactly the text it was given.
_RAW_JSON = ("context", "stack_trace")
_PG_TYPES = {"line_number": "integer", "reported_at": "timestamp", "context": "json", "stack_trace": "json"}
_GROUP_VALUES = ", ".join(f"CAST(g.{c} AS text)" if c in _RAW_JSON else "g." + c for c in COLUMNS)
_GROUP_RECORD = ", ".join(f"{c} {_PG_TYPES.get(c, 'text')}" for c in COLUMNS) + ", n integer, bucket integer"
_OCC_FIELDS = ("level", "error_message", "environment", "version", "commit_hash", "reported_at", "context",
               "stack_trace", "event_id")
_OCC_RECORD = "fingerprint text, k integer, " + ", ".join(f"{c} {_PG_TYPES.get(c, 'text')}" for c in _OCC_FIELDS)
_OCC_COLUMNS = ("bug_id, seq, created_at, level, message, environment, version, commit_hash, reported_at, "
                "context, stack_trace, event_id")

_OCCURRENCES_PG = f"""
o AS (SELECT * FROM json_to_recordset(CAST(:occurrences AS json)) AS o({_OCC_RECORD})),
occ AS (
    INSERT INTO occurrence ({_OCC_COLUMNS})
    SELECT bn.id, bn.occurrence_count - bn.n + o.k, CAST(:now AS TIMESTAMP), o.level, o.error_message,
           o.environment, o.version, o.commit_hash, o.reported_at, CAST(o.context AS text),
           CAST(o.stack_trace AS text), o.event_id
    FROM o JOIN bn ON bn.fingerprint = o.fingerprint
    -- only the newest :keep of a group: the trim below cannot see rows this statement inserts
    WHERE bn.last_ingest <> 'rescan' AND o.k > bn.n - CAST(:keep AS INTEGER)
),
occ_trim AS (
    DELETE FROM occurrence USING bn
    WHERE bn.last_ingest <> 'rescan' AND occurrence.bug_id = bn.id
      AND occurrence.seq <= bn.occurrence_count - CAST(:keep AS BIGINT)
),"""

_BATCH_PG = f"""
WITH g AS (SELECT * FROM json_to_recordset(CAST(:groups AS json)) AS g({_GROUP_RECORD})),
bug AS (
    {_INSERT_HEAD}
    SELECT {_GROUP_VALUES}, 'NEW', g.n, false, CAST(:now AS TIMESTAMP),
           CAST(:now AS TIMESTAMP), 'created' FROM g
    {_ON_CONFLICT}
),
bn AS (SELECT bug.*, g.n, g.bucket, g.project_id, g.source FROM bug JOIN g ON g.fingerprint = bug.fingerprint),
{{occurrences}}
per_day AS (
    INSERT INTO errorlog_daily (day, project_id, source, bucket, count)
    SELECT CAST(:day AS DATE), project_id, source, bucket, sum(n) FROM bn WHERE last_ingest <> 'rescan'
    GROUP BY project_id, source, bucket ORDER BY project_id, source, bucket
    ON CONFLICT (day, project_id, source, bucket) DO UPDATE SET count = errorlog_daily.count + excluded.count
),
counts_in AS (
    {counters.UPSERT_HEAD}
    SELECT project_id, source, status, level, bucket,
           sum(CASE last_ingest WHEN 'created' THEN 1 WHEN 'reopened' THEN 1 ELSE 0 END),
           sum(CASE last_ingest WHEN 'rescan' THEN 0 WHEN 'reopened' THEN occurrence_count ELSE n END),
           CAST(:now AS TIMESTAMP)
    FROM bn GROUP BY project_id, source, status, level, bucket ORDER BY project_id, source, status, level, bucket
    {counters.UPSERT_TAIL}
),
-- A reopened bug leaves its resolved status's row; never a row counts_in touches (that
-- one is NEW, or another source's).
counts_out AS (
    UPDATE errorlog_counts SET bugs = errorlog_counts.bugs - moved.bugs,
                               occurrences = errorlog_counts.occurrences - moved.occurrences
    FROM (SELECT project_id, source, reopened_from AS status, level, bucket, count(*) AS bugs,
                 sum(occurrence_count - n) AS occurrences
          FROM bn WHERE last_ingest = 'reopened' GROUP BY project_id, source, reopened_from, level, bucket) moved
    WHERE errorlog_counts.project_id = moved.project_id AND errorlog_counts.source = moved.source
      AND errorlog_counts.status = moved.status AND errorlog_counts.level = moved.level
      AND errorlog_counts.bucket = moved.bucket
),
history AS (
    INSERT INTO errorlog_status_history (bug_id, from_status, to_status, note, actor, created_at)
    SELECT id, reopened_from, 'NEW', 'regression: reported again after ' || reopened_from, 'system',
           CAST(:now AS TIMESTAMP)
    FROM bn WHERE last_ingest = 'reopened'
)
SELECT id, fingerprint, status, level, occurrence_count, last_ingest, reopened_from, n FROM bn"""
BATCH_PG_WITH_OCCURRENCES = _BATCH_PG.format(occurrences=_OCCURRENCES_PG)
BATCH_PG = _BATCH_PG.format(occurrences="")

_COUNT_DAY = """
INSERT INTO errorlog_daily (day, project_id, source, bucket, count)
VALUES (:day, :project_id, :source, :bucket, :n)
ON CONFLICT (day, project_id, source, bucket) DO UPDATE SET count = errorlog_daily.count + excluded.count"""
_OCCURRENCE = (f"INSERT INTO occurrence ({_OCC_COLUMNS}) VALUES (:bug_id, :seq, :now, :level, :error_message, "
               ":environment, :version, :commit_hash, :reported_at, :context, :stack_trace, :event_id)")
_OCCURRENCE_TRIM = "DELETE FROM occurrence WHERE bug_id = :bug_id AND seq <= :seq - :keep"
_HISTORY = ("INSERT INTO errorlog_status_history (bug_id, from_status, to_status, note, actor, created_at) "
            "VALUES (:bug_id, :from_status, 'NEW', :note, 'system', :now)")

# Claim event ids; a stale claim (older than 24 h) is taken over. Ids not returned: retries.
_CLAIM_EVENTS_PG = """
INSERT INTO ingest_event (project_id, event_id, fingerprint, created_at)
SELECT project_id, event_id, fingerprint, CAST(:now AS TIMESTAMP)
FROM json_to_recordset(CAST(:events AS json)) AS e(project_id text, event_id text, fingerprint text)
ON CONFLICT (project_id, event_id) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
WHERE ingest_event.created_at < CAST(:event_cutoff AS TIMESTAMP)
RETURNING project_id, event_id"""
_CLAIM_EVENT = """
INSERT INTO ingest_event (project_id, event_id, fingerprint, created_at)
VALUES (:project_id, :event_id, :fingerprint, :now)
ON CONFLICT (project_id, event_id) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
WHERE ingest_event.created_at < :event_cutoff
RETURNING event_id"""
_CLAIMED_BUG = ("SELECT e.fingerprint, b.id, b.status, b.occurrence_count FROM ingest_event e "
                "LEFT JOIN errorlog b ON b.fingerprint = e.fingerprint "
                "WHERE e.project_id = :project_id AND e.event_id = :event_id")
_RECLAIM = ("UPDATE ingest_event SET fingerprint = :fingerprint, created_at = :now "
            "WHERE project_id = :project_id AND event_id = :event_id")


@dataclass
class Item:
    """One validated report on its way into the database, and what became of it."""

    report: Any  # shared.ingest.validation.Report
    params: dict[str, Any]  # the column values, fingerprint, scan_key, bucket, event_id
    size: int  # bytes of its JSON fields, to cap a batch's size


@dataclass
class Outcome:
    """What the upsert did to one report's bug (per report, not per group)."""

    id: int
    fingerprint: str
    status: str
    level: str
    occurrence_count: int
    action: str
    reopened_from: str | None
    alerts: int = 0  # alert messages it put in the outbox

    @property
    def last_ingest(self) -> str:  # the name the upsert's row uses (shared/releases/track.py)
        return self.action




def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def records_json(records: list[dict[str, Any]]) -> str:
    """A JSON array of the records, their _RAW_JSON members written as the JSON they hold."""
    parts = []
    for record in records:
        head = to_json({k: v for k, v in record.items() if k not in _RAW_JSON})
        raw = ",".join(f'"{k}":{"null" if record[k] is None else record[k]}' for k in _RAW_JSON if k in record)
        parts.append(head[:-1] + ("," if len(head) > 2 and raw else "") + raw + "}")
    return "[" + ",".join(parts) + "]"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def write(conn: Connection, items: list[Item], *, now: datetime, day: Any, keep: int) -> list[Outcome]:
    """Store `items` in the open transaction; their outcomes in the same order (duplicates:
    an Outcome with action "duplicate" and the bug as it stands)."""
    duplicates = _claim_events(conn, items, now)
    fresh = [i for i in items if id(i) not in duplicates]
    groups: dict[str, list[Item]] = {}
    for item in fresh:
        groups.setdefault(item.params["fingerprint"], []).append(item)
    rows = _upsert_pg(conn, groups, now, day, keep) if conn.dialect.name == "postgresql" else \
        _upsert_sqlite(conn, groups, now, day, keep)
    outcomes: dict[int, Outcome] = dict(duplicates)
    for fp, members in groups.items():
        row = rows[fp]
        before = row.occurrence_count - (0 if row.last_ingest == "rescan" else len(members))
        for k, item in enumerate(members, start=1):
            first = k == 1
            outcomes[id(item)] = Outcome(
                id=row.id, fingerprint=fp, status=row.status, level=row.level,
                occurrence_count=row.occurrence_count if row.last_ingest == "rescan" else before + k,
                action=row.last_ingest if first else "counted",
                reopened_from=row.reopened_from if first else None)
    # per report, in arrival order: each counts for releases and spikes
    release_track.after_batch(conn, [(item.report, outcomes[id(item)]) for item in fresh], now)
    for item in fresh:
        outcome, report = outcomes[id(item)], item.report
        outcome.alerts = outbox.after_ingest(conn, bug_id=outcome.id, action=outcome.action,
                                             project_id=report.project_id, source=report.source,
                                             level=report.level, now=now)
    return [outcomes[id(i)] for i in items]


def _claim_events(conn: Connection, items: list[Item], now: datetime) -> dict[int, Outcome]:
    """Claim every event id of the batch; the reports whose id was claimed already."""
    with_ids = [i for i in items if i.params["event_id"] is not None]
    if not with_ids:
        return {}
    cutoff = now - EVENT_ID_WINDOW
    if conn.dialect.name == "postgresql":
        events = sorted(({"project_id": i.params["project_id"], "event_id": i.params["event_id"],
                          "fingerprint": i.params["fingerprint"]} for i in with_ids),
                        key=lambda e: (e["project_id"], e["event_id"]))
        claimed = {(r.project_id, r.event_id) for r in conn.execute(
            _CLAIM_EVENTS_PG, {"events": to_json(events), "now": now, "event_cutoff": cutoff})}
        seen = [i for i in with_ids if (i.params["project_id"], i.params["event_id"]) not in claimed]
    else:
        seen = [i for i in with_ids
                if conn.execute(_CLAIM_EVENT, {**i.params, "now": now, "event_cutoff": cutoff}).first() is None]
    duplicates = {}
    for item in seen:
        bug = conn.execute(_CLAIMED_BUG, item.params).one()
        if bug.id is None:
            # The bug it landed on is gone (retention): count this one as new.
            conn.execute(_RECLAIM, {**item.params, "now": now})
            continue
        duplicates[id(item)] = Outcome(id=bug.id, fingerprint=bug.fingerprint, status=bug.status, level="",
                                       occurrence_count=bug.occurrence_count, action="duplicate",
                                       reopened_from=None)
    return duplicates


def _group_row(members: list[Item]) -> dict[str, Any]:
    """The group's values: the latest report's, with the group's size."""
    last = members[-1].params
    return {**last, "n": len(members), "first_version": members[0].params["first_version"]}


def _upsert_pg(conn: Connection, groups: dict[str, list[Item]], now: datetime, day: Any,
               keep: int) -> dict[str, Any]:
    if not groups:
        return {}
    records, occurrences = [], []
    for _, members in sorted(groups.items()):
        row = _group_row(members)
        records.append({c: row[c] for c in COLUMNS} | {"n": row["n"], "bucket": row["bucket"],
                                                       "reported_at": _iso(row["reported_at"])})
        if keep:
            occurrences += [{"fingerprint": m.params["fingerprint"], "k": k, "reported_at": _iso(m.params["reported_at"]),
                             **{f: m.params[f] for f in _OCC_FIELDS if f != "reported_at"}}
                            for k, m in enumerate(members, start=1)]
    params = {"groups": records_json(records), "now": now, "day": day, "keep": keep}
    if keep:
        params["occurrences"] = records_json(occurrences)
    statement = BATCH_PG_WITH_OCCURRENCES if keep else BATCH_PG
    return {r.fingerprint: r for r in conn.execute(statement, params)}


def _upsert_sqlite(conn: Connection, groups: dict[str, list[Item]], now: datetime, day: Any,
                   keep: int) -> dict[str, Any]:
    rows = {}
    for fp, members in groups.items():
        params = {**_group_row(members), "now": now, "day": day, "keep": keep}
        row = conn.execute(_UPSERT_ONE, params).one()
        rows[fp] = row
        n = params["n"]
        if row.last_ingest != "rescan":
            conn.execute(_COUNT_DAY, params)
            if keep:
                before = row.occurrence_count - n
                for k, member in enumerate(members, start=1):
                    if k > n - keep:
                        conn.execute(_OCCURRENCE, {**member.params, "bug_id": row.id, "seq": before + k, "now": now})
                conn.execute(_OCCURRENCE_TRIM, {"bug_id": row.id, "seq": row.occurrence_count, "keep": keep})
        counters.after_ingest(conn, action=row.last_ingest, project_id=params["project_id"],
                              source=params["source"], level=row.level, status=row.status,
                              reopened_from=row.reopened_from, occurrence_count=row.occurrence_count,
                              bucket=params["bucket"], now=now, n=n)
        if row.last_ingest == "reopened":
            conn.execute(_HISTORY, {"bug_id": row.id, "from_status": row.reopened_from, "now": now,
                                    "note": f"regression: reported again after {row.reopened_from}"})
    return rows
