"""tasks: the repair agent's queue (pending bugs, atomic claim)."""

import functions_framework

from shared import limits
from shared import tasks as task_queue
from shared.http import Call, Router
from shared.vocabulary import SOURCES
from shared.params import bug_id, choice_list, integer, text_list

router = Router("tasks")


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
    return task_queue.claim(bug_id(call.params["id"]), payload, call.actor)


@functions_framework.http
def tasks(request):
    return router.dispatch(request)
