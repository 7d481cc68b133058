"""What retention removes, one rule each, in batches of at most BATCH rows.

Every rule pages by a cursor (an id, or a time and an id) so a row it keeps is never read
twice, and every DELETE re-checks the rule's condition: a report that arrives between a
batch's read and its delete (a resolved bug seen again, reopened) keeps its row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from shared.core.vocabulary import RESOLVED_STATUSES, BugStatus
from shared.db import counters

BATCH = 5000
EVENT_ID_HOURS = 24
DAY_COUNTER_DAYS = 400
SENT_ALERT_DAYS = 30
# Resolved and ignored: nobody is going to act on these any more.
RETIRED_STATUSES = [*RESOLVED_STATUSES, BugStatus.IGNORED.value, BugStatus.CANNOT_REPRODUCE.value]


@dataclass
class Limits:
    """The settings in force for one run, and the instants they mean."""

    now: datetime
    today: date
    occurrences_per_bug: int
    retention_days: int
    resolved_retention_days: int

    @property
    def occurrence_cutoff(self) -> datetime:
        return self.now - timedelta(days=self.retention_days)

    @property
    def resolved_cutoff(self) -> datetime:
        return self.now - timedelta(days=self.resolved_retention_days)

    @property
    def event_cutoff(self) -> datetime:
        return self.now - timedelta(hours=EVENT_ID_HOURS)

    @property
    def day_cutoff(self) -> date:
        return self.today - timedelta(days=DAY_COUNTER_DAYS)


@dataclass
class Cursor:
    """Where a rule's next batch starts; `done` once a batch found nothing more."""

    after: tuple = ()
    done: bool = False


@dataclass
class Rule:
    name: str
    describe: Callable[[Limits], str]
    count: Callable[[Connection, Limits], int]
    # Deletes one batch after the cursor; returns rows removed and moves the cursor.
    delete_batch: Callable[[Connection, Limits, Cursor], int]
    touches: list[str] = field(default_factory=list)
    # The setting that bounds it (None: a fixed limit) and its value in force, for the dashboard.
    setting: str | None = None
    value: Callable[[Limits], int] = lambda lim: 0


def _ids_in(name: str = "ids"):  # noqa: ANN202
    return bindparam(name, expanding=True)


_RETIRED = ", ".join(f"'{s}'" for s in RETIRED_STATUSES)
_RETIRED_WHERE = f"status IN ({_RETIRED}) AND last_seen_at < :cutoff"
# The occurrence rules leave alone what the resolved-bugs rule (first) takes whole, so each
# row is counted by exactly one rule and a dry run's figures are what a run removes.
_NOT_RETIRED = f"NOT (b.status IN ({_RETIRED}) AND b.last_seen_at < :rcutoff)"


# ------------------------------------------------------------------- occurrences over the cap

_OVER_CAP = f"""FROM occurrence o LEFT JOIN errorlog b ON b.id = o.bug_id
WHERE (b.id IS NULL OR (o.seq <= b.occurrence_count - :cap AND {_NOT_RETIRED}))"""


def _over_cap_count(conn: Connection, lim: Limits) -> int:
    return conn.execute(text(f"SELECT count(*) {_OVER_CAP}"),
                        {"cap": lim.occurrences_per_bug, "rcutoff": lim.resolved_cutoff}).scalar()


def _over_cap_delete(conn: Connection, lim: Limits, cur: Cursor) -> int:
    after = cur.after[0] if cur.after else 0
    ids = conn.execute(text(f"SELECT o.id {_OVER_CAP} AND o.id > :after ORDER BY o.id LIMIT :batch"),
                       {"cap": lim.occurrences_per_bug, "rcutoff": lim.resolved_cutoff, "after": after,
                        "batch": BATCH}).scalars().all()
    if not ids:
        cur.done = True
        return 0
    cur.after = (ids[-1],)
    return conn.execute(text("DELETE FROM occurrence WHERE id IN :ids").bindparams(_ids_in()), {"ids": ids}).rowcount


# ------------------------------------------------------------------- old occurrences

# Each bug keeps its latest occurrence (seq equals the bug's count: a re-scan adds none);
# those over the cap are the cap rule's.
_TOO_OLD = f"""FROM occurrence o JOIN errorlog b ON b.id = o.bug_id
WHERE o.created_at < :cutoff AND o.seq < b.occurrence_count AND o.seq > b.occurrence_count - :cap
  AND {_NOT_RETIRED}"""


def _old_params(lim: Limits) -> dict:
    return {"cutoff": lim.occurrence_cutoff, "cap": lim.occurrences_per_bug, "rcutoff": lim.resolved_cutoff}


def _old_count(conn: Connection, lim: Limits) -> int:
    return conn.execute(text(f"SELECT count(*) {_TOO_OLD}"), _old_params(lim)).scalar()


def _old_delete(conn: Connection, lim: Limits, cur: Cursor) -> int:
    start = cur.after or (datetime(1, 1, 1), 0)
    rows = conn.execute(text(f"SELECT o.id, o.created_at {_TOO_OLD} "
                             "AND (o.created_at > :c OR (o.created_at = :c AND o.id > :i)) "
                             "ORDER BY o.created_at, o.id LIMIT :batch"),
                        {**_old_params(lim), "c": start[0], "i": start[1], "batch": BATCH}).all()
    if not rows:
        cur.done = True
        return 0
    cur.after = (rows[-1].created_at, rows[-1].id)
    # Re-checked: a newer report of the bug may have come in since (its seq is then higher).
    return conn.execute(text("DELETE FROM occurrence WHERE id IN :ids AND created_at < :cutoff")
                        .bindparams(_ids_in()), {"ids": [r.id for r in rows], "cutoff": lim.occurrence_cutoff}
                        ).rowcount


# ------------------------------------------------------------------- resolved bugs



def _resolved_count(conn: Connection, lim: Limits) -> int:
    """The bugs, their occurrences and their history rows."""
    params = {"cutoff": lim.resolved_cutoff}
    bugs = f"SELECT id FROM errorlog WHERE {_RETIRED_WHERE}"
    return sum(conn.execute(text(statement), params).scalar() for statement in (
        f"SELECT count(*) FROM errorlog WHERE {_RETIRED_WHERE}",
        f"SELECT count(*) FROM occurrence WHERE bug_id IN ({bugs})",
        f"SELECT count(*) FROM errorlog_status_history WHERE bug_id IN ({bugs})"))


def bugs_per_batch(lim: Limits) -> int:
    """How many candidates one batch looks at (a bug goes with its occurrences and history)."""
    return max(1, BATCH // (lim.occurrences_per_bug + 5))


def resolved_candidates(conn: Connection, lim: Limits, cur: Cursor) -> list[tuple[int, int]]:
    """The next bugs to go, each with the rows it takes along (occurrences and history)."""
    after = cur.after[0] if cur.after else 0
    return [tuple(r) for r in conn.execute(text(
        f"SELECT e.id, (SELECT count(*) FROM occurrence o WHERE o.bug_id = e.id) "
        f"+ (SELECT count(*) FROM errorlog_status_history h WHERE h.bug_id = e.id) "
        f"FROM errorlog e WHERE {_RETIRED_WHERE} AND e.id > :after ORDER BY e.id LIMIT :n"),
        {"cutoff": lim.resolved_cutoff, "after": after, "n": bugs_per_batch(lim)})]


def _within_batch(candidates: list[tuple[int, int]]) -> list[int]:
    """The longest prefix whose rows (each bug + what it takes along) fit in one batch."""
    chosen, rows = [], 0
    for bug_id, along in candidates:
        if chosen and rows + 1 + along > BATCH:
            break
        chosen.append(bug_id)
        rows += 1 + along
    return chosen


def delete_resolved(conn: Connection, lim: Limits, ids: list[int]) -> int:
    """Delete these bugs if they still qualify, with their occurrences and history, and take
    them out of the counters in the same transaction."""
    gone = conn.execute(text(f"DELETE FROM errorlog WHERE id IN :ids AND {_RETIRED_WHERE} "
                             "RETURNING id, project_id, source, status, level, fingerprint, occurrence_count")
                        .bindparams(_ids_in()), {"ids": ids, "cutoff": lim.resolved_cutoff}).all()
    if not gone:
        return 0
    gone_ids = [g.id for g in gone]
    removed = len(gone)
    for table in ("occurrence", "errorlog_status_history"):
        removed += conn.execute(text(f"DELETE FROM {table} WHERE bug_id IN :ids").bindparams(_ids_in()),
                                {"ids": gone_ids}).rowcount
    bugs: Counter = Counter()
    occurrences: Counter = Counter()
    for g in gone:
        key = (g.project_id, g.source, g.status, g.level, counters.bucket_of(g.fingerprint))
        bugs[key] += 1
        occurrences[key] += g.occurrence_count
    for key in bugs:
        project_id, source, status, level, bucket = key
        counters.add(conn, project_id=project_id, source=source, status=status, level=level, bucket=bucket,
                     d_bugs=-bugs[key], d_occurrences=-occurrences[key], last_seen_at=None)
    # A counter row left with no bugs would keep the last-seen time of a bug that is gone.
    conn.execute(text("DELETE FROM errorlog_counts WHERE bugs = 0 AND occurrences = 0"))
    return removed


def _resolved_delete(conn: Connection, lim: Limits, cur: Cursor) -> int:
    candidates = resolved_candidates(conn, lim, cur)
    if not candidates:
        cur.done = True
        return 0
    first_id, first_along = candidates[0]
    if 1 + first_along > BATCH:
        # One bug with more rows than a batch (a cap lowered a lot): its occurrences go in
        # batches first, the bug itself in a later one.
        return conn.execute(text("DELETE FROM occurrence WHERE id IN (SELECT id FROM occurrence WHERE bug_id = :b "
                                 "ORDER BY id LIMIT :batch)"), {"b": first_id, "batch": BATCH}).rowcount
    ids = _within_batch(candidates)
    cur.after = (ids[-1],)
    return delete_resolved(conn, lim, ids)


# ------------------------------------------------------------------- keyed tables by age

def _by_key(table: str, key: str, where: str, cutoff: Callable[[Limits], object]) -> tuple[Callable, Callable]:
    """count/delete for a table whose rows go once old: deleted rows leave the front of the
    range, so no cursor is needed."""

    def count(conn: Connection, lim: Limits) -> int:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), {"cutoff": cutoff(lim)}).scalar()

    def delete(conn: Connection, lim: Limits, cur: Cursor) -> int:
        n = conn.execute(text(f"DELETE FROM {table} WHERE ({key}) IN "
                              f"(SELECT {key} FROM {table} WHERE {where} LIMIT :batch)"),
                         {"cutoff": cutoff(lim), "batch": BATCH}).rowcount
        cur.done = n < BATCH
        return n

    return count, delete


_daily_count, _daily_delete = _by_key("errorlog_daily", "day, project_id, source, bucket", "day < :cutoff",
                                      lambda lim: lim.day_cutoff)
_events_count, _events_delete = _by_key("ingest_event", "project_id, event_id", "created_at < :cutoff",
                                        lambda lim: lim.event_cutoff)


# ------------------------------------------------------------------- alerts

# Done with: sent, failed, or sent inside a digest. Pending ones stay whatever their age.
_ALERTS_DONE = "status IN ('sent', 'failed', 'folded') AND created_at < :cutoff"
# Throttle marks and spike counters that old decide nothing any more (throttles are at most a week).
_ALERT_MARKS = [("alert_throttle", "rule_id, bug_id, kind", "last_at < :cutoff"),
                ("alert_spike", "bug_id, seconds", "win * seconds < :epoch_cutoff")]


def _alert_params(lim: Limits) -> dict:
    cutoff = lim.now - timedelta(days=SENT_ALERT_DAYS)
    return {"cutoff": cutoff, "epoch_cutoff": int((cutoff - datetime(1970, 1, 1)).total_seconds())}


def _alerts_count(conn: Connection, lim: Limits) -> int:
    params = _alert_params(lim)
    total = conn.execute(text(f"SELECT count(*) FROM alert_delivery WHERE {_ALERTS_DONE}"), params).scalar()
    for table, _key, where in _ALERT_MARKS:
        total += conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar()
    return total


def _alerts_delete(conn: Connection, lim: Limits, cur: Cursor) -> int:
    params = {**_alert_params(lim), "batch": BATCH}
    removed = conn.execute(text(f"DELETE FROM alert_delivery WHERE id IN "
                                f"(SELECT id FROM alert_delivery WHERE {_ALERTS_DONE} ORDER BY id LIMIT :batch)"),
                           params).rowcount
    for table, key, where in _ALERT_MARKS:
        if removed >= BATCH:
            return removed
        params["batch"] = BATCH - removed
        removed += conn.execute(text(f"DELETE FROM {table} WHERE ({key}) IN "
                                     f"(SELECT {key} FROM {table} WHERE {where} LIMIT :batch)"), params).rowcount
    cur.done = removed < BATCH
    return removed


RULES = [
    Rule("resolved_bugs",  # counted in rows: each bug, its occurrences and its history
         lambda lim: f"fixed, verified, deployed, ignored and cannot-reproduce bugs not seen for "
                     f"{lim.resolved_retention_days} days, with their occurrences and history "
                     "(LOGCENTER_RESOLVED_RETENTION_DAYS)",
         _resolved_count, _resolved_delete, ["errorlog", "occurrence", "errorlog_status_history", "errorlog_counts"],
         "LOGCENTER_RESOLVED_RETENTION_DAYS", lambda lim: lim.resolved_retention_days),
    Rule("occurrences_over_cap",
         lambda lim: f"occurrences past the newest {lim.occurrences_per_bug} per bug (LOGCENTER_OCCURRENCES_PER_BUG)",
         _over_cap_count, _over_cap_delete, ["occurrence"], "LOGCENTER_OCCURRENCES_PER_BUG",
         lambda lim: lim.occurrences_per_bug),
    Rule("old_occurrences",
         lambda lim: f"occurrences older than {lim.retention_days} days, each bug keeping its latest "
                     "(LOGCENTER_RETENTION_DAYS)",
         _old_count, _old_delete, ["occurrence"], "LOGCENTER_RETENTION_DAYS", lambda lim: lim.retention_days),
    Rule("day_counters", lambda lim: f"trend day counters older than {DAY_COUNTER_DAYS} days",
         _daily_count, _daily_delete, ["errorlog_daily"], None, lambda lim: DAY_COUNTER_DAYS),
    Rule("event_ids", lambda lim: f"event-id records older than {EVENT_ID_HOURS} hours",
         _events_count, _events_delete, ["ingest_event"], None, lambda lim: EVENT_ID_HOURS),
    Rule("sent_alerts", lambda lim: f"sent and failed alert messages older than {SENT_ALERT_DAYS} days "
                                    "(pending ones stay), with their throttle marks and spike counters",
         _alerts_count, _alerts_delete, ["alert_delivery", "alert_throttle", "alert_spike"], None,
         lambda lim: SENT_ALERT_DAYS),
]
