"""releases: releases and deploys, one commit's story from build to runtime (DESIGN.md "Releases").

`GET /api/v1/releases?project_id=&environment=&page=&page_size=` newest first with counts and
deploys; `GET /api/v1/releases/{project_id}/{version}[?environment=]` one release with its
lists; `POST /api/v1/deploys` (ingest token) records a deploy.
"""

import functions_framework

from shared.core import limits
from shared.db.engine import check_database
from shared.http.errors import NotFound
from shared.http.params import integer
from shared.http.router import Call, Router
from shared.releases import deploys, queries

router = Router("releases", ready=check_database)


@router.route("GET", "/api/v1/releases", "/")
def _list(call: Call):
    project_id = queries.check_project_id(call.arg("project_id"))
    environment = queries.check_environment(call.arg("environment"))
    page = integer(call.arg("page"), "page", 1, 1, 1_000_000)
    page_size = integer(call.arg("page_size"), "page_size", 20, 1, limits.MAX_PAGE_SIZE)
    return queries.list_releases(project_id, environment, page, page_size)


@router.route("GET", "/api/v1/releases/{project_id}/{version}", "/{project_id}/{version}")
def _detail(call: Call):
    project_id, version = call.params["project_id"], call.params["version"]
    if not queries.valid_path(project_id, version):
        raise NotFound(f"no release {version!r} of project {project_id!r}")
    return queries.get_release(project_id, version, queries.check_environment(call.arg("environment")))


@router.route("POST", "/api/v1/deploys", "/deploys", auth="ingest")
def _deploy(call: Call):
    deploy_id, created = deploys.record_deploy(call.json())
    body = queries.get_deploy(deploy_id)
    if not created:
        body["duplicate"] = True  # the same deploy was recorded before: not counted again
    return body, 201 if created else 200


@functions_framework.http
def releases(request):
    return router.dispatch(request)
