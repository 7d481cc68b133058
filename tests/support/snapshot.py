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


def release_counter_mismatches() -> dict:
    """Where a release's counters disagree with its links and deploys (empty when in step)."""
    from collections import Counter

    from shared.db.models import Deploy, Release, ReleaseBug, ReleaseEnvironment

    columns = {"cicd_failure": "cicd_failures", "deployment_error": "deployment_errors",
               "new_runtime_bug": "new_runtime_bugs", "regression": "regressions"}
    expected, actual = Counter(), Counter()
    with get_engine().connect() as conn:
        for r in conn.execute(select(ReleaseBug.release_id, ReleaseBug.kind, ReleaseBug.environment)):
            expected[(r.release_id, None, columns[r.kind])] += 1
            if r.kind != "cicd_failure":
                expected[(r.release_id, r.environment, columns[r.kind])] += 1
        for r in conn.execute(select(Deploy.release_id, Deploy.environment)):
            expected[(r.release_id, None, "deploys")] += 1
            expected[(r.release_id, r.environment, "deploys")] += 1
        for r in conn.execute(select(Release)):
            for column in (*columns.values(), "deploys"):
                actual[(r.id, None, column)] += getattr(r, column)
        for r in conn.execute(select(ReleaseEnvironment)):
            for column in ("deployment_errors", "new_runtime_bugs", "regressions", "deploys"):
                actual[(r.release_id, r.environment, column)] += getattr(r, column)
    keys = {k for k in set(expected) | set(actual) if expected[k] or actual[k]}
    return {k: (expected[k], actual[k]) for k in keys if expected[k] != actual[k]}
