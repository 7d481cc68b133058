"""stats: the dashboard's figures (GET /api/v1/dashboard/stats)."""

import functions_framework

from shared.http import Call, Router
from shared.vocabulary import SOURCES
from shared.params import choice_list, text_list
from shared.stats import compute_stats

router = Router("stats")


@router.route("GET", "/api/v1/dashboard/stats", "/")
def _stats(call: Call):
    return compute_stats(source=choice_list(call.arg("source"), "source", SOURCES, str.lower),
                         project_id=text_list(call.arg("project_id")))


@functions_framework.http
def stats(request):
    return router.dispatch(request)
