"""stats: the dashboard's figures (GET /api/v1/dashboard/stats)."""

import functions_framework

from shared.bugs.stats import compute_stats
from shared.core.vocabulary import SOURCES
from shared.db.engine import check_database
from shared.http.params import choice_list, text_list
from shared.http.router import Call, Router

router = Router("stats", ready=check_database)


@router.route("GET", "/api/v1/dashboard/stats", "/")
def _stats(call: Call):
    return compute_stats(source=choice_list(call.arg("source"), "source", SOURCES, str.lower),
                         project_id=text_list(call.arg("project_id")))


@functions_framework.http
def stats(request):
    return router.dispatch(request)
