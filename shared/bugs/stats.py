"""Dashboard figures."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, literal, select, union_all

from shared.bugs.queries import apply_filters
from shared.core import limits
from shared.core.vocabulary import LEVELS, SOURCES, STATUSES
from shared.db.engine import session_scope
from shared.db.models import BugCounts, DailyOccurrences, ErrorLog
from shared.settings import get_settings
from shared.timeutil import last_days, local_midnight_utc

TREND_DAYS = 14


_DIMENSIONS = {"status_distribution": BugCounts.status, "level_distribution": BugCounts.level,
               "source_distribution": BugCounts.source}


def _counter_totals(session, filters: dict) -> dict[str, Any]:  # noqa: ANN001
    """Totals and three distributions in one round trip: a UNION ALL of one small GROUP BY
    per dimension over the counter rows (a few dozen rows come back, not thousands). Projects,
    which one client can make by the ten thousand, are ranked apart (`_top_projects`)."""
    parts = [apply_filters(select(literal(name).label("dim"), column.label("key"), func.sum(BugCounts.bugs),
                                  func.sum(BugCounts.occurrences)).group_by(column), model=BugCounts, **filters)
             for name, column in _DIMENSIONS.items()]
    out: dict[str, Any] = {"status_distribution": dict.fromkeys(STATUSES, 0),
                           "level_distribution": dict.fromkeys(LEVELS, 0),
                           "source_distribution": dict.fromkeys(SOURCES, 0)}
    total_bugs = total_occurrences = 0
    for dim, key, bugs, occurrences in session.execute(union_all(*parts)):
        out[dim][key] = int(bugs)
        if dim == "source_distribution":  # every bug has exactly one source: these add up to the totals
            total_bugs += int(bugs)
            total_occurrences += int(occurrences)
    return {**out, "total_bugs": total_bugs, "total_occurrences": total_occurrences}


def _top_projects(session, filters: dict, total_bugs: int) -> dict[str, Any]:  # noqa: ANN001
    """The PROJECT_DISTRIBUTION_TOP projects with the most bugs, and what the others add up to.

    "Others" is a field of its own, not a key of `project_distribution`: `others` is a valid
    project id, and a key that may be either would mislead."""
    bugs = func.sum(BugCounts.bugs)
    grouped = apply_filters(select(BugCounts.project_id, bugs.label("bugs")), model=BugCounts, **filters) \
        .group_by(BugCounts.project_id).having(bugs > 0)
    top = session.execute(grouped.order_by(bugs.desc(), BugCounts.project_id).limit(limits.PROJECT_DISTRIBUTION_TOP)).all()
    count = len(top) if len(top) < limits.PROJECT_DISTRIBUTION_TOP else \
        session.scalar(select(func.count()).select_from(grouped.subquery()))
    shown = {project: int(n) for project, n in top}
    return {"project_distribution": shown, "project_count": int(count),
            "project_distribution_others": {"projects": int(count) - len(shown),
                                            "bugs": total_bugs - sum(shown.values())}}


def compute_stats(source: list[str] | None, project_id: list[str] | None) -> dict[str, Any]:
    tz = get_settings().timezone
    today = datetime.now(timezone.utc).astimezone(tz).date()
    days = last_days(today, TREND_DAYS)
    filters = dict(source=source, project_id=project_id)
    with session_scope() as session:
        totals = _counter_totals(session, filters)
        projects = _top_projects(session, filters, totals["total_bugs"])
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
        **projects,
        "source_distribution": totals["source_distribution"],
        "trend": [{"date": d.isoformat(), "count": per_day.get(d, 0)} for d in days],
        "timezone": get_settings().timezone_name,
    }
