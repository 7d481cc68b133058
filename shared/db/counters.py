"""Keeping `errorlog_counts` equal to what counting `errorlog` would give.

Every write path calls in here inside its own transaction: ingest adds (new bug or one
more occurrence), status changes move a bug's weight between status rows. `recount()`
rebuilds the table from `errorlog` (start-up does it when the table is new, e.g. after
the upgrade of a pre-extension database) and is what the tests compare against.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.db import sql

if TYPE_CHECKING:  # SQLAlchemy is imported lazily: the ingest path runs on shared/db/driver.py
    from sqlalchemy.engine import Connection

# Counter rows per key. More buckets spread concurrent writes of one project over more
# rows; fewer keep the stats scans short.
COUNTER_BUCKETS = 4

_HEX = "0123456789abcdef"


def bucket_of(fingerprint: str) -> int:
    """A bug always lives in the same bucket, chosen by its fingerprint's 8th hex digit."""
    digit = fingerprint[7:8]
    return _HEX.index(digit) % COUNTER_BUCKETS if digit and digit in _HEX else 0


# The same rule in SQL both databases understand.
BUCKET_SQL = ("CASE substr(fingerprint, 8, 1) "
              + " ".join(f"WHEN '{c}' THEN {i % COUNTER_BUCKETS}" for i, c in enumerate(_HEX)) + " ELSE 0 END")


# Add deltas to counter rows; last_seen_at only moves forward. The head and tail around a
# VALUES list or a SELECT (shared/ingest/batch.py adds a whole batch's deltas at once).
UPSERT_HEAD = ("INSERT INTO errorlog_counts (project_id, source, status, level, bucket, bugs, occurrences, "
               "last_seen_at)")
UPSERT_TAIL = """ON CONFLICT (project_id, source, status, level, bucket) DO UPDATE SET
    bugs = errorlog_counts.bugs + excluded.bugs,
    occurrences = errorlog_counts.occurrences + excluded.occurrences,
    last_seen_at = CASE WHEN errorlog_counts.last_seen_at IS NULL
                          OR excluded.last_seen_at > errorlog_counts.last_seen_at
                        THEN excluded.last_seen_at ELSE errorlog_counts.last_seen_at END"""
ADD = (UPSERT_HEAD + "\nVALUES (:project_id, :source, :status, :level, :bucket, :d_bugs, :d_occurrences, "
       ":last_seen_at)\n" + UPSERT_TAIL)


def add(conn: Connection, *, project_id: str, source: str, status: str, level: str, bucket: int,
        d_bugs: int, d_occurrences: int, last_seen_at: datetime | None) -> None:
    sql.execute(conn, ADD, dict(project_id=project_id, source=source, status=status, level=level, bucket=bucket,
                         d_bugs=d_bugs, d_occurrences=d_occurrences, last_seen_at=last_seen_at))


def after_ingest(conn: Connection, *, action: str, project_id: str, source: str, level: str, status: str,
                 reopened_from: str | None, occurrence_count: int, bucket: int, now: datetime,
                 n: int = 1) -> None:
    """The counter changes of `n` reports of one bug (SQLite path; PostgreSQL does the same
    in SQL). `occurrence_count` is the bug's count after them."""
    d_bugs, d_occ = {"created": (1, n), "counted": (0, n), "rescan": (0, 0),
                     "reopened": (1, occurrence_count)}[action]
    add(conn, project_id=project_id, source=source, status=status, level=level, bucket=bucket,
        d_bugs=d_bugs, d_occurrences=d_occ, last_seen_at=now)
    if action == "reopened":
        add(conn, project_id=project_id, source=source, status=reopened_from, level=level, bucket=bucket,
            d_bugs=-1, d_occurrences=-(occurrence_count - n), last_seen_at=None)


def move(conn: Connection, *, project_id: str, source: str, level: str, fingerprint: str,
         occurrence_count: int, from_status: str, to_status: str, last_seen_at: datetime | None) -> None:
    if from_status == to_status:
        return
    common = dict(project_id=project_id, source=source, level=level, bucket=bucket_of(fingerprint))
    add(conn, **common, status=from_status, d_bugs=-1, d_occurrences=-occurrence_count, last_seen_at=None)
    add(conn, **common, status=to_status, d_bugs=1, d_occurrences=occurrence_count, last_seen_at=last_seen_at)


def recount(conn: Connection) -> None:
    """Rebuild every counter row from `errorlog`."""
    from sqlalchemy import text

    conn.execute(text("DELETE FROM errorlog_counts"))
    conn.execute(text(f"""
        INSERT INTO errorlog_counts (project_id, source, status, level, bucket, bugs, occurrences, last_seen_at)
        SELECT project_id, source, status, level, {BUCKET_SQL}, count(*), sum(occurrence_count), max(last_seen_at)
        FROM errorlog GROUP BY project_id, source, status, level, {BUCKET_SQL}"""))
