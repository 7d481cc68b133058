"""bugs: list, detail, occurrences and status changes (the projects list is the projects function's)."""

import functions_framework

from shared.bugs import occurrences, queries, status
from shared.core import limits
from shared.core.vocabulary import LEVELS, SOURCES, STATUSES
from shared.db.engine import check_database
from shared.http.params import choice_list, integer, path_id, text_list
from shared.http.router import Call, Router

router = Router("bugs", ready=check_database)


@router.route("GET", "/api/v1/bugs", "/")
def _list(call: Call):
    q = call.arg("q")
    filters = dict(
        project_id=text_list(call.arg("project_id")),
        source=choice_list(call.arg("source"), "source", SOURCES, str.lower),
        status=choice_list(call.arg("status"), "status", STATUSES, str.upper),
        level=choice_list(call.arg("level"), "level", LEVELS, str.upper),
        q=q[: limits.MAX_QUERY_TEXT].replace("\x00", "") if q else None,
    )
    page = integer(call.arg("page"), "page", 1, 1, 1_000_000)
    page_size = integer(call.arg("page_size"), "page_size", 20, 1, limits.MAX_PAGE_SIZE)
    return queries.list_bugs(filters, page, page_size, call.arg("sort"))


@router.route("GET", "/api/v1/bugs/{id}", "/{id}")
def _detail(call: Call):
    return queries.get_bug(path_id(call.params["id"], "bug"))


@router.route("GET", "/api/v1/bugs/{id}/occurrences", "/{id}/occurrences")
def _occurrences(call: Call):
    page = integer(call.arg("page"), "page", 1, 1, 1_000_000)
    page_size = integer(call.arg("page_size"), "page_size", 20, 1, limits.MAX_PAGE_SIZE)
    return occurrences.list_occurrences(path_id(call.params["id"], "bug"), page, page_size)


@router.route("PATCH", "/api/v1/bugs/{id}/status", "/{id}/status")
def _status(call: Call):
    return status.change_status(path_id(call.params["id"], "bug"), call.json(), call.actor)


@functions_framework.http
def bugs(request):
    return router.dispatch(request)
