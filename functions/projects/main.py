"""projects: the projects list, and registering projects for Sentry SDKs (DSNs, key rotation)."""

import functions_framework

from shared.core import limits
from shared.core.vocabulary import SOURCES
from shared.db.engine import check_database
from shared.http.params import choice_list, integer
from shared.http.router import Call, Router
from shared.sentry import projects as registry

router = Router("projects", ready=check_database)


@router.route("GET", "/api/v1/projects", "/")
def _list(call: Call):
    source = choice_list(call.arg("source"), "source", SOURCES, str.lower)
    q = call.arg("q")
    return registry.list_projects(
        source, registry.base_url(call.request, call.settings),
        q=q[: limits.MAX_PROJECT_QUERY].replace("\x00", "").strip() or None if q else None,
        page=integer(call.arg("page"), "page", 1, 1, 1_000_000),
        page_size=integer(call.arg("page_size"), "page_size", limits.DEFAULT_PROJECTS_PAGE_SIZE, 1,
                          limits.MAX_PROJECTS_PAGE_SIZE),
        sort=call.arg("sort"))


@router.route("POST", "/api/v1/projects", "/")
def _register(call: Call):
    project, created = registry.register(call.json(), registry.base_url(call.request, call.settings))
    return project, 201 if created else 200


@router.route("GET", "/api/v1/projects/{project_id}", "/{project_id}")
def _detail(call: Call):
    return registry.get_project(call.params["project_id"], registry.base_url(call.request, call.settings))


@router.route("POST", "/api/v1/projects/{project_id}/rotate-key", "/{project_id}/rotate-key")
def _rotate(call: Call):
    return registry.rotate_key(call.params["project_id"], registry.base_url(call.request, call.settings))


@functions_framework.http
def projects(request):
    return router.dispatch(request)
