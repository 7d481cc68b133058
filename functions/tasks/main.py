"""tasks: the repair agent's queue (pending bugs, atomic claim)."""

import functions_framework

from shared.bugs import tasks as task_queue
from shared.core import limits
from shared.core.vocabulary import SOURCES
from shared.db.engine import check_database
from shared.http.params import choice_list, integer, path_id, text_list
from shared.http.router import Call, Router

router = Router("tasks", ready=check_database)


@router.route("GET", "/api/v1/tasks/pending", "/pending")
def _pending(call: Call):
    return task_queue.pending(
        source=choice_list(call.arg("source"), "source", SOURCES, str.lower),
        project_id=text_list(call.arg("project_id")),
        limit=integer(call.arg("limit"), "limit", 10, 1, limits.MAX_PENDING_LIMIT),
    )


@router.route("POST", "/api/v1/tasks/{id}/claim", "/{id}/claim")
def _claim(call: Call):
    payload = call.json() if call.request.content_length else None
    return task_queue.claim(path_id(call.params["id"], "bug"), payload, call.actor)


@functions_framework.http
def tasks(request):
    return router.dispatch(request)
