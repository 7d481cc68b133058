"""Everything stored, to prove that a rejected request changed nothing."""

from __future__ import annotations

from sqlalchemy import select

from shared.db.engine import get_engine
from shared.db.models import DailyOccurrences, ErrorLog, StatusHistory


def stored_rows() -> dict[str, list[tuple]]:
    out = {}
    with get_engine().connect() as conn:
        for model in (ErrorLog, StatusHistory, DailyOccurrences):
            table = model.__table__
            key = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*key))]
    return out


def counter_mismatches() -> dict:
    """Where errorlog_counts disagrees with counting errorlog itself (empty when in step)."""
    from collections import Counter

    from shared.db.models import BugCounts

    expected_bugs, expected_occ, actual_bugs, actual_occ = Counter(), Counter(), Counter(), Counter()
    with get_engine().connect() as conn:
        for r in conn.execute(select(ErrorLog.project_id, ErrorLog.source, ErrorLog.status, ErrorLog.level,
                                     ErrorLog.occurrence_count)):
            key = (r.project_id, r.source, r.status, r.level)
            expected_bugs[key] += 1
            expected_occ[key] += r.occurrence_count
        for r in conn.execute(select(BugCounts)):
            key = (r.project_id, r.source, r.status, r.level)
            actual_bugs[key] += r.bugs
            actual_occ[key] += r.occurrences
    keys = set(expected_bugs) | set(actual_bugs)
    return {k: ((expected_bugs[k], expected_occ[k]), (actual_bugs[k], actual_occ[k])) for k in keys
            if (expected_bugs[k], expected_occ[k]) != (actual_bugs[k], actual_occ[k])}
