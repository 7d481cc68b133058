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


def _distribution(session, column, filters: dict, keys: list[str] | None = None) -> dict[str, int]:  # noqa: ANN001
    stmt = apply_filters(select(column, func.sum(BugCounts.bugs)).group_by(column)
                         .having(func.sum(BugCounts.bugs) > 0), model=BugCounts, **filters)
    counts = {key: 0 for key in keys or []}
    for value, count in session.execute(stmt):
        counts[value] = int(count)
    return counts


def compute_stats(source: list[str] | None, project_id: list[str] | None) -> dict[str, Any]:
    tz = get_settings().timezone
    today = datetime.now(timezone.utc).astimezone(tz).date()
    days = last_days(today, TREND_DAYS)
    filters = dict(source=source, project_id=project_id)
    with session_scope() as session:
        total, occurrences = session.execute(apply_filters(
            select(func.coalesce(func.sum(BugCounts.bugs), 0), func.coalesce(func.sum(BugCounts.occurrences), 0)),
            model=BugCounts, **filters)).one()
        today_bugs = session.scalar(apply_filters(
            select(func.count()).select_from(ErrorLog)
            .where(ErrorLog.first_seen_at >= local_midnight_utc(today, tz)), **filters))
        trend_stmt = (select(DailyOccurrences.day, func.sum(DailyOccurrences.count))
                      .where(DailyOccurrences.day >= days[0]).group_by(DailyOccurrences.day))
        if source:
            trend_stmt = trend_stmt.where(DailyOccurrences.source.in_(source))
        if project_id:
            trend_stmt = trend_stmt.where(DailyOccurrences.project_id.in_(project_id))
        per_day = {day: int(count) for day, count in session.execute(trend_stmt)}
        return {
            "total_bugs": int(total),
            "today_bugs": today_bugs,
            "total_occurrences": int(occurrences),
            "status_distribution": _distribution(session, BugCounts.status, filters, STATUSES),
            "level_distribution": _distribution(session, BugCounts.level, filters, LEVELS),
            "project_distribution": _distribution(session, BugCounts.project_id, filters),
            "source_distribution": _distribution(session, BugCounts.source, filters, SOURCES),
            "trend": [{"date": d.isoformat(), "count": per_day.get(d, 0)} for d in days],
            "timezone": get_settings().timezone_name,
        }
