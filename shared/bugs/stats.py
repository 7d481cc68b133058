"""Dashboard figures."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, literal, select, union_all

from shared.bugs.queries import apply_filters
from shared.core.vocabulary import LEVELS, SOURCES, STATUSES
from shared.db.engine import session_scope
from shared.db.models import BugCounts, DailyOccurrences, ErrorLog
from shared.settings import get_settings
from shared.timeutil import last_days, local_midnight_utc

TREND_DAYS = 14


_DIMENSIONS = {"status_distribution": BugCounts.status, "level_distribution": BugCounts.level,
               "project_distribution": BugCounts.project_id, "source_distribution": BugCounts.source}


def _counter_totals(session, filters: dict) -> dict[str, Any]:  # noqa: ANN001
    """Totals and the four distributions in one round trip: a UNION ALL of one small GROUP BY
    per dimension over the counter rows (a few dozen rows come back, not thousands)."""
    parts = [apply_filters(select(literal(name).label("dim"), column.label("key"), func.sum(BugCounts.bugs),
                                  func.sum(BugCounts.occurrences)).group_by(column), model=BugCounts, **filters)
             for name, column in _DIMENSIONS.items()]
    out: dict[str, Any] = {"status_distribution": dict.fromkeys(STATUSES, 0),
                           "level_distribution": dict.fromkeys(LEVELS, 0), "project_distribution": {},
                           "source_distribution": dict.fromkeys(SOURCES, 0)}
    total_bugs = total_occurrences = 0
    for dim, key, bugs, occurrences in session.execute(union_all(*parts)):
        if int(bugs) == 0 and dim == "project_distribution":
            continue
        out[dim][key] = int(bugs)
        if dim == "source_distribution":  # every bug has exactly one source: these add up to the totals
            total_bugs += int(bugs)
            total_occurrences += int(occurrences)
    out["project_distribution"] = dict(sorted(out["project_distribution"].items()))
    return {**out, "total_bugs": total_bugs, "total_occurrences": total_occurrences}


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
