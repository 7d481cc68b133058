"""Reading bugs: the filtered, sorted, paged list, one bug whole, and the projects list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select, true, union
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from shared.bugs import search
from shared.bugs.serialize import SUMMARY_COLUMNS, bug_dict, history_dict, summary_dict
from shared.core import limits
from shared.core.vocabulary import OPEN_STATUSES
from shared.db.engine import session_scope
from shared.db.models import BugCounts, ErrorLog, StatusHistory
from shared.http.errors import NotFound, ValidationFailed, field_error
from shared.releases.queries import bug_release_info
from shared.timeutil import iso

# Only orders an index serves (models.ErrorLog.__table_args__): at a million bugs any
# other order is a full sort per page.
SORT_KEYS = {
    "last_seen_at": ErrorLog.last_seen_at,
    "first_seen_at": ErrorLog.first_seen_at,
    "occurrence_count": ErrorLog.occurrence_count,
    "id": ErrorLog.id,
}
DEFAULT_SORT = "-last_seen_at"


FILTER_COLUMNS = ("project_id", "source", "status", "level")  # the list filters besides `q`


def apply_filters(stmt: Select, *, project_id: list[str] | None = None, source: list[str] | None = None,
                  status: list[str] | None = None, level: list[str] | None = None,
                  q: str | None = None, model: type = ErrorLog, narrow_on: Connection | None = None) -> Select:
    """WHERE clauses for the list filters, on `errorlog` or on its counters. `narrow_on`: the
    connection of a scan that collects matches, whose index question search.condition may
    narrow (never a page query: its plan rests on the estimate of the whole term)."""
    for column, values in zip(FILTER_COLUMNS, (project_id, source, status, level)):
        if values:
            stmt = stmt.where(getattr(model, column).in_(values))
    if q:
        stmt = stmt.where(*search.condition(q, narrow_on))
    return stmt


def parse_sort(value: str | None) -> tuple[Any, bool]:
    """The sort key's column and whether it runs newest/largest first."""
    value = value or DEFAULT_SORT
    column = SORT_KEYS.get(value.lstrip("-+"))
    if column is None:
        raise ValidationFailed("invalid sort", [field_error(
            "sort", f"must be one of {', '.join(SORT_KEYS)} with an optional leading '-'")])
    return column, value.startswith("-")


def ordering(key: Any, id_column: Any, descending: bool) -> list:
    """ORDER BY the key, ties by id in the same direction, so pages never overlap."""
    return [key.desc(), id_column.desc()] if descending else [key.asc(), id_column.asc()]


def count_bugs(session: Session, **filters: Any) -> int:
    """How many bugs match filters on project/source/status/level: read from the counters."""
    stmt = apply_filters(select(func.coalesce(func.sum(BugCounts.bugs), 0)), model=BugCounts, **filters)
    return int(session.scalar(stmt))


def _with_rows(page: Any, descending: bool, outer: Any = None) -> Select:
    """The summaries of a page of ids (a subquery of id and sort_key), in page order. The
    page is found first (an index-only scan even on page 500), then 20 rows by primary key,
    in the same statement."""
    joined = (outer.outerjoin(page, true()) if outer is not None else page) \
        .join(ErrorLog, ErrorLog.id == page.c.id, isouter=outer is not None)
    return select(*SUMMARY_COLUMNS).select_from(joined).order_by(*ordering(page.c.sort_key, page.c.id, descending))


def _page(session: Session, filters: dict[str, Any], key: Any, descending: bool, limit: int,
          offset: int) -> list[Any]:
    ids = apply_filters(select(ErrorLog.id.label("id"), key.label("sort_key")), **filters) \
        .order_by(*ordering(key, ErrorLog.id, descending)).limit(limit).offset(offset).subquery("page")
    return session.execute(_with_rows(ids, descending)).all()


def _search_page(session: Session, filters: dict[str, Any], key: Any, descending: bool, limit: int,
                 offset: int) -> tuple[list[Any], int, bool]:
    """A text search's page of summaries, its total, and whether the total stopped at the cap.

    A text search has to look at rows, so it counts at most SEARCH_COUNT_CAP of them ("1000+"
    is all a person needs). That scan reads every match when there are at most the cap, so it
    carries the sort key too and the page is cut from those rows: one statement, one pass
    over the trigram matches. A search past the cap pages over the table, where a common term
    finds its page early; when the planner's sample already expects that, the matches are only
    counted."""
    cap = limits.SEARCH_COUNT_CAP
    conn = session.connection()
    if not any(filters.get(f) for f in FILTER_COLUMNS) and search.likely_past(conn, filters["q"], cap):
        # A term the planner's sample finds in thousands of bugs: its matches would be
        # collected only to be thrown away, so count them up to the cap and page over the table.
        found = apply_filters(select(ErrorLog.id), **filters, narrow_on=conn).limit(cap + 1).subquery()
        n = session.scalar(select(func.count()).select_from(found))
        return _page(session, filters, key, descending, limit, offset), min(n, cap), n > cap
    matches = apply_filters(select(ErrorLog.id.label("id"), key.label("sort_key")), **filters,
                            narrow_on=conn).limit(cap + 1).cte("matches")
    counted = select(func.count().label("n")).select_from(matches).subquery("counted")
    page = select(matches).order_by(*ordering(matches.c.sort_key, matches.c.id, descending)) \
        .limit(limit).offset(offset).subquery("page")
    # The count is outer-joined to the page so that an empty page still brings it back.
    rows = session.execute(_with_rows(page, descending, outer=counted).add_columns(counted.c.n)).all()
    n = rows[0].n
    if n <= cap:
        return [r for r in rows if r.id is not None], n, False
    return _page(session, filters, key, descending, limit, offset), cap, True


def list_bugs(filters: dict[str, Any], page: int, page_size: int, sort: str | None) -> dict[str, Any]:
    key, descending = parse_sort(sort)
    offset = (page - 1) * page_size
    with session_scope() as session:
        if filters.get("q"):
            rows, total, capped = _search_page(session, filters, key, descending, page_size, offset)
        else:
            total, capped = count_bugs(session, **filters), False
            rows = _page(session, filters, key, descending, page_size, offset)
        body = {"items": [summary_dict(r) for r in rows], "total": total, "page": page, "page_size": page_size}
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
        return {**bug_dict(bug), **bug_release_info(session, bug), "history": history_of(session, bug_id)}


# The projects list's orders: by name, or by what the dashboard ranks chips by.
PROJECT_SORTS = ("project_id", "bug_count", "open_count", "occurrence_count", "last_seen_at")
DEFAULT_PROJECT_SORT = "project_id"


def list_projects(source: list[str] | None, q: str | None = None, page: int = 1,
                  page_size: int = limits.DEFAULT_PROJECTS_PAGE_SIZE, sort: str | None = None,
                  also: Select | None = None) -> dict[str, Any]:
    """One page of the projects that have bugs, with the number of them all (`total`).

    One client can make tens of thousands of project ids; a page is bounded however many
    there are, and `q` (a substring of the id) finds one among them. `also` selects more
    project ids to list with zero counts while they have no bugs (registered projects)."""
    value = sort or DEFAULT_PROJECT_SORT
    descending = value.startswith("-")
    key = value.lstrip("-+")
    if key not in PROJECT_SORTS:
        raise ValidationFailed("invalid sort", [field_error(
            "sort", f"must be one of {', '.join(PROJECT_SORTS)} with an optional leading '-'")])
    bug_count = func.sum(BugCounts.bugs)
    sums = {"bug_count": bug_count, "occurrence_count": func.sum(BugCounts.occurrences),
            "open_count": func.sum(case((BugCounts.status.in_(OPEN_STATUSES), BugCounts.bugs), else_=0)),
            "last_seen_at": func.max(BugCounts.last_seen_at)}
    counted = apply_filters(select(BugCounts.project_id, *(c.label(n) for n, c in sums.items())),
                            source=source, model=BugCounts).group_by(BugCounts.project_id).having(bug_count > 0)
    counts = counted.subquery("counts")
    if also is None:
        names = select(counts.c.project_id.label("project_id"))
    else:
        names = union(select(counts.c.project_id.label("project_id")), also)
    names = names.subquery("names")
    project = names.c.project_id
    columns = {"bug_count": func.coalesce(counts.c.bug_count, 0),
               "occurrence_count": func.coalesce(counts.c.occurrence_count, 0),
               "open_count": func.coalesce(counts.c.open_count, 0), "last_seen_at": counts.c.last_seen_at}
    stmt = select(project, *(c.label(n) for n, c in columns.items())) \
        .select_from(names.outerjoin(counts, counts.c.project_id == project))
    if q:
        stmt = stmt.where(func.lower(project).like(search.like_pattern(q.lower()), escape="/"))
    order = project if key == "project_id" else columns[key]
    # Ties (same count) in name order, so pages never overlap.
    ordering = [order.desc() if descending else order.asc()]
    if key != "project_id":
        ordering.append(project.asc())
    with session_scope() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = session.execute(stmt.order_by(*ordering).limit(page_size).offset((page - 1) * page_size))
        items = [{"project_id": r.project_id, "bug_count": int(r.bug_count), "open_count": int(r.open_count or 0),
                  "occurrence_count": int(r.occurrence_count or 0), "last_seen_at": iso(r.last_seen_at)}
                 for r in rows]
    return {"items": items, "total": int(total), "page": page, "page_size": page_size}
