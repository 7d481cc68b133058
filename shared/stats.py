"""Dashboard figures."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select

from shared.bugs import apply_filters
from shared.db import session_scope
from shared.models import LEVELS, SOURCES, STATUSES, BugCounts, DailyOccurrences, ErrorLog
from shared.settings import get_settings
from shared.timeutil import last_days, local_midnight_utc

TREND_DAYS = 14


def _counter_totals(session, filters: dict) -> dict[str, Any]:  # noqa: ANN001
    """Totals and all four distributions from one pass over the counter rows."""
    stmt = apply_filters(select(BugCounts.project_id, BugCounts.source, BugCounts.status, BugCounts.level,
                                func.sum(BugCounts.bugs), func.sum(BugCounts.occurrences))
                         .group_by(BugCounts.project_id, BugCounts.source, BugCounts.status, BugCounts.level),
                         model=BugCounts, **filters)
    out = {"total_bugs": 0, "total_occurrences": 0,
           "status_distribution": dict.fromkeys(STATUSES, 0), "level_distribution": dict.fromkeys(LEVELS, 0),
           "project_distribution": {}, "source_distribution": dict.fromkeys(SOURCES, 0)}
    for project, source, status, level, bugs, occurrences in session.execute(stmt):
        bugs, occurrences = int(bugs), int(occurrences)
        out["total_bugs"] += bugs
        out["total_occurrences"] += occurrences
        for key, value in (("status_distribution", status), ("level_distribution", level),
                           ("project_distribution", project), ("source_distribution", source)):
            out[key][value] = out[key].get(value, 0) + bugs
    out["project_distribution"] = {p: n for p, n in sorted(out["project_distribution"].items()) if n}
    return out


def compute_stats(source: list[str] | None, project_id: list[str] | None) -> dict[str, Any]:
    tz = get_settings().timezone
    today = datetime.now(timezone.utc).astimezone(tz).date()
    days = last_days(today, TREND_DAYS)
    filters = dict(source=source, project_id=project_id)
    with session_scope() as session:
        totals = _counter_totals(session, filters)
        today_bugs = session.scalar(apply_filters(
            select(func.count()).select_from(ErrorLog)
            .where(ErrorLog.first_seen_at >= local_midnight_utc(today, tz)), **filters))
        trend_stmt = apply_filters(select(DailyOccurrences.day, func.sum(DailyOccurrences.count))
                                   .where(DailyOccurrences.day >= days[0]).group_by(DailyOccurrences.day),
                                   model=DailyOccurrences, **filters)
        per_day = {day: int(count) for day, count in session.execute(trend_stmt)}
    return {
        "total_bugs": totals["total_bugs"],
        "today_bugs": today_bugs,
        "total_occurrences": totals["total_occurrences"],
        "status_distribution": totals["status_distribution"],
        "level_distribution": totals["level_distribution"],
        "project_distribution": totals["project_distribution"],
        "source_distribution": totals["source_distribution"],
        "trend": [{"date": d.isoformat(), "count": per_day.get(d, 0)} for d in days],
        "timezone": get_settings().timezone_name,
    }
