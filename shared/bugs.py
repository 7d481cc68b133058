"""Reading bugs and changing their status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from shared import limits
from shared import counters
from shared.db import session_scope
from shared.errors import Conflict, NotFound, ValidationFailed, field_error
from shared.models import OPEN_STATUSES, STATUSES, BugCounts, ErrorLog, StatusHistory
from shared.serialize import bug_dict, history_dict
from shared.timeutil import iso, utcnow
from shared.validation import clean_text

# Only orders an index serves (models.ErrorLog.__table_args__): at a million bugs any
# other order is a full sort per page.
SORT_KEYS = {
    "last_seen_at": ErrorLog.last_seen_at,
    "first_seen_at": ErrorLog.first_seen_at,
    "occurrence_count": ErrorLog.occurrence_count,
    "id": ErrorLog.id,
}
DEFAULT_SORT = "-last_seen_at"


def apply_filters(stmt: Select, *, project_id: list[str] | None = None, source: list[str] | None = None,
                  status: list[str] | None = None, level: list[str] | None = None,
                  q: str | None = None, model: type = ErrorLog) -> Select:
    """WHERE clauses for the list filters, on `errorlog` or on its counters."""
    for column, values in (("project_id", project_id), ("source", source), ("status", status), ("level", level)):
        if values:
            stmt = stmt.where(getattr(model, column).in_(values))
    if q:
        # The whole pattern is one parameter so PostgreSQL can plan it against the trigram index.
        pattern = "%" + q.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        stmt = stmt.where(or_(ErrorLog.error_type.ilike(pattern, escape="/"),
                              ErrorLog.error_message.ilike(pattern, escape="/")))
    return stmt


def parse_sort(value: str | None) -> list:
    value = value or DEFAULT_SORT
    descending = value.startswith("-")
    key = value.lstrip("-+")
    column = SORT_KEYS.get(key)
    if column is None:
        raise ValidationFailed("invalid sort", [field_error(
            "sort", f"must be one of {', '.join(SORT_KEYS)} with an optional leading '-'")])
    tiebreak = ErrorLog.id.desc() if descending else ErrorLog.id.asc()
    return [column.desc() if descending else column.asc(), tiebreak]


def count_bugs(session: Session, **filters: Any) -> tuple[int, bool]:
    """How many bugs match, and whether the number stopped at the search cap.

    Filters on project/source/status/level read the counters. A text search has to look at
    rows, so it counts at most SEARCH_COUNT_CAP of them: "1000+" is all a person needs."""
    if filters.get("q"):
        matches = apply_filters(select(ErrorLog.id), **filters).limit(limits.SEARCH_COUNT_CAP + 1).subquery()
        n = session.scalar(select(func.count()).select_from(matches))
        return min(n, limits.SEARCH_COUNT_CAP), n > limits.SEARCH_COUNT_CAP
    stmt = apply_filters(select(func.coalesce(func.sum(BugCounts.bugs), 0)), model=BugCounts, **filters)
    return int(session.scalar(stmt)), False


def list_bugs(filters: dict[str, Any], page: int, page_size: int, sort: str | None) -> dict[str, Any]:
    order = parse_sort(sort)
    with session_scope() as session:
        total, capped = count_bugs(session, **filters)
        # Page over ids first (an index-only scan even on page 500), then load the rows.
        ids = session.scalars(apply_filters(select(ErrorLog.id), **filters)
                              .order_by(*order).limit(page_size).offset((page - 1) * page_size)).all()
        by_id = {r.id: r for r in session.scalars(select(ErrorLog).where(ErrorLog.id.in_(ids)))} if ids else {}
        body = {"items": [bug_dict(by_id[i]) for i in ids if i in by_id], "total": total, "page": page,
                "page_size": page_size}
        if capped:
            body["total_capped"] = True
        return body


def history_of(session: Session, bug_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(StatusHistory).where(StatusHistory.bug_id == bug_id)
                           .order_by(StatusHistory.id.desc())).all()
    return [history_dict(r) for r in rows]


def get_bug(bug_id: int) -> dict[str, Any]:
    with session_scope() as session:
        bug = session.get(ErrorLog, bug_id)
        if bug is None:
            raise NotFound(f"no bug {bug_id}")
        return {**bug_dict(bug), "history": history_of(session, bug_id)}


def locked_bug(session: Session, bug_id: int) -> ErrorLog:
    bug = session.scalars(select(ErrorLog).where(ErrorLog.id == bug_id).with_for_update()).first()
    if bug is None:
        raise NotFound(f"no bug {bug_id}")
    return bug


def clean_note(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed("invalid note", [field_error("note", "must be a string")])
    return clean_text(value)[: limits.MAX_NOTE] or None


def record_change(session: Session, bug: ErrorLog, to_status: str, note: str | None, actor: str) -> None:
    session.add(StatusHistory(bug_id=bug.id, from_status=bug.status, to_status=to_status, note=note,
                              actor=actor[:64], created_at=utcnow()))
    counters.move(session.connection(), project_id=bug.project_id, source=bug.source, level=bug.level,
                  fingerprint=bug.fingerprint, occurrence_count=bug.occurrence_count,
                  from_status=bug.status, to_status=to_status, last_seen_at=bug.last_seen_at)
    bug.status = to_status


def change_status(bug_id: int, payload: Any, actor: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    status = payload.get("status")
    if status is None:
        raise ValidationFailed("status is required", [field_error("status", "required")])
    if not isinstance(status, str) or status.upper() not in STATUSES:
        raise ValidationFailed("invalid status", [field_error("status", f"must be one of {', '.join(STATUSES)}")])
    status = status.upper()
    note = clean_note(payload.get("note"))
    if status == "FIXING":
        raise Conflict("FIXING is entered only by claiming the task (POST /api/v1/tasks/{id}/claim)")
    with session_scope(write=True) as session:
        bug = locked_bug(session, bug_id)
        if status == "PENDING_FIX" and bug.source != "runtime":
            raise ValidationFailed(
                f"{bug.source} bugs are not auto-repairable; only runtime bugs can be queued for repair",
                [field_error("status", "PENDING_FIX is only for runtime bugs")])
        record_change(session, bug, status, note, actor)
        session.flush()
        return {**bug_dict(bug), "history": history_of(session, bug_id)}


def list_projects(source: list[str] | None) -> dict[str, Any]:
    stmt = select(BugCounts.project_id, func.sum(BugCounts.bugs).label("bug_count"),
                  func.sum(BugCounts.occurrences).label("occurrences"),
                  func.sum(case((BugCounts.status.in_(OPEN_STATUSES), BugCounts.bugs), else_=0)).label("open_count"),
                  func.max(BugCounts.last_seen_at).label("last_seen_at"))
    stmt = (apply_filters(stmt, source=source, model=BugCounts).group_by(BugCounts.project_id)
            .having(func.sum(BugCounts.bugs) > 0).order_by(BugCounts.project_id))
    with session_scope() as session:
        items = [{"project_id": r.project_id, "bug_count": int(r.bug_count), "open_count": int(r.open_count or 0),
                  "occurrence_count": int(r.occurrences or 0), "last_seen_at": iso(r.last_seen_at)}
                 for r in session.execute(stmt)]
    return {"items": items, "total": len(items)}

