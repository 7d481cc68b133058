"""projects: the projects list, and registering projects for Sentry SDKs (DSNs, key rotation)."""

import functions_framework

from shared.core.vocabulary import SOURCES
from shared.db.engine import check_database
from shared.http.params import choice_list
from shared.http.router import Call, Router
from shared.sentry import projects as registry

router = Router("projects", ready=check_database)


@router.route("GET", "/api/v1/projects", "/")
def _list(call: Call):
    source = choice_list(call.arg("source"), "source", SOURCES, str.lower)
    return registry.list_projects(source, registry.base_url(call.request, call.settings))


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
