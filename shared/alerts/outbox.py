"""The alert's birth, inside the report's own transaction (the outbox).

`after_ingest` is the one call ingest makes, after its upsert and before its commit: if
the report created a bug, reopened one or pushed it over a rule's spike threshold, an
`alert_delivery` row is written with it. The report commits with its alerts or not at
all, so a process killed right after answering loses none; `notify` sends them later.

Cost on the hot path: the rules come from the per-process cache; a report that no rule
can match (another project or source, a level below the minimum, or a repeat of a known
bug when no rule counts spikes) runs no statement at all. A new bug adds one INSERT per
matching rule; a regression adds the throttle upsert too.

Spike: reports of a bug within `minutes` are counted in `alert_spike`, one row per bug and
window length (shared by every rule with that length), as the current fixed window's count
plus the previous window's, weighted by how much of it still lies inside the sliding
`minutes` ending now (the estimate rate limiters use). The bug's own counters cannot answer
this: occurrences are capped per bug (LOGCENTER_OCCURRENCES_PER_BUG, 50 by default, below
a threshold like 100) and the day counters are per project and per day. Once the estimate
reaches `count`, the throttle lets one message through per rule, bug and throttle window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.alerts.cache import rules_for
from shared.db import sql

if TYPE_CHECKING:  # SQLAlchemy or a driver connection (shared/db/sql.py); never imported on ingest
    from sqlalchemy.engine import Connection

_INSERT = ("INSERT INTO alert_delivery (rule_id, bug_id, kind, detail, status, tries, created_at, due_at) "
               "VALUES (:rule_id, :bug_id, :kind, :detail, 'pending', 0, :now, :now)")

# One row back when this (rule, bug, trigger) may send now: none had, or the last was
# longer ago than the rule's throttle. Atomic: of concurrent reports exactly one gets it.
_THROTTLE = ("""
INSERT INTO alert_throttle (rule_id, bug_id, kind, last_at) VALUES (:rule_id, :bug_id, :kind, :now)
ON CONFLICT (rule_id, bug_id, kind) DO UPDATE SET last_at = excluded.last_at
WHERE alert_throttle.last_at <= :cutoff
RETURNING last_at""")

# Every right-hand side reads the row as it was (both databases).
_SPIKE = ("""
INSERT INTO alert_spike (bug_id, seconds, win, count, previous) VALUES (:bug_id, :seconds, :win, 1, 0)
ON CONFLICT (bug_id, seconds) DO UPDATE SET
    previous = CASE WHEN alert_spike.win = :win THEN alert_spike.previous
                    WHEN alert_spike.win = :win - 1 THEN alert_spike.count ELSE 0 END,
    count = CASE WHEN alert_spike.win = :win THEN alert_spike.count + 1 ELSE 1 END,
    win = :win
RETURNING count, previous""")

_EPOCH = datetime(1970, 1, 1)


def _throttled(conn: Connection, rule, bug_id: int, kind: str, now: datetime) -> bool:
    cutoff = now - timedelta(seconds=rule.throttle_seconds)
    row = sql.execute(conn, _THROTTLE, {"rule_id": rule.id, "bug_id": bug_id, "kind": kind, "now": now,
                                   "cutoff": cutoff}).first()
    return row is None


def spike_estimate(count: int, previous: int, seconds: int, elapsed_in_window: float) -> float:
    """Reports in the sliding `seconds` ending now, from the fixed windows' counts."""
    return count + previous * max(0.0, 1.0 - elapsed_in_window / seconds)


def after_ingest(conn: Connection, *, bug_id: int, action: str, project_id: str, source: str, level: str,
                 now: datetime) -> int:
    """Write the alerts this report causes, in its transaction; returns how many (0: no poke).

    `action` is what the upsert did: created, counted, rescan (a deployment re-scan of the
    same crash: not a new occurrence), reopened (a regression) or duplicate (an event id
    seen before: nothing happened). `level` is the report's level. The caller commits."""
    if action in ("rescan", "duplicate"):
        return 0
    ruleset = rules_for(conn)
    if not ruleset.rules or (action == "counted" and not ruleset.has_spike):
        return 0
    wanted = [r for r in ruleset.rules if r.wants(project_id, source, level)]
    if not wanted:
        return 0
    written = 0
    estimates: dict[int, float] = {}
    for rule in wanted:
        kind, detail = None, None
        if action == "created" and rule.new_bug:
            kind = "new_bug"
        elif action == "reopened" and rule.regression:
            kind = "regression"
        if kind is None and rule.spike_count:
            seconds = rule.spike_seconds
            if seconds not in estimates:
                estimates[seconds] = _count_spike(conn, bug_id, seconds, now)
            if estimates[seconds] >= rule.spike_count:
                kind = "spike"
                detail = ('{"count": %d, "minutes": %d, "estimate": %d}'
                          % (rule.spike_count, seconds // 60, int(estimates[seconds])))
        if kind is None:
            continue
        if kind != "new_bug" and _throttled(conn, rule, bug_id, kind, now):
            continue  # a new bug is new once: only repeats need the throttle
        sql.execute(conn, _INSERT, {"rule_id": rule.id, "bug_id": bug_id, "kind": kind, "detail": detail, "now": now})
        written += 1
    # A report that opened a spike window for one rule also counts for the others' windows.
    for rule in wanted:
        if rule.spike_count and rule.spike_seconds not in estimates:
            estimates[rule.spike_seconds] = _count_spike(conn, bug_id, rule.spike_seconds, now)
    return written


def _count_spike(conn: Connection, bug_id: int, seconds: int, now: datetime) -> float:
    since_epoch = (now - _EPOCH).total_seconds()
    win = int(since_epoch // seconds)
    row = sql.execute(conn, _SPIKE, {"bug_id": bug_id, "seconds": seconds, "win": win}).one()
    return spike_estimate(row.count, row.previous, seconds, since_epoch - win * seconds)
