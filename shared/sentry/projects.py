"""Projects registered for Sentry SDKs, their keys and DSNs (DESIGN.md "Projects and DSNs").

A project's `id` is the number in its DSN and `public_key` the DSN's user part:
`<scheme>://<public_key>@<host>[:port][/path]/<id>`, the base being LOGCENTER_PUBLIC_URL or,
unset, the scheme and host the request came in on (as a proxy forwarded them). The native
report route never needs a project registered; the projects list shows every project that
has bugs, and registered ones also when they have none yet.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import flask
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from shared.bugs import queries
from shared.core import limits
from shared.core.vocabulary import OPEN_STATUSES
from shared.db.engine import session_scope
from shared.db.models import BugCounts, Project
from shared.http.errors import NotFound, ValidationFailed, field_error
from shared.settings import Settings
from shared.timeutil import iso, utcnow

_PROJECT_ID = re.compile(limits.PROJECT_ID_PATTERN)
_REPOSITORY = re.compile(r"[^\s\x00-\x1f]{1,200}")  # used with fullmatch: `$` matches before a final \n
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def base_url(request: flask.Request, settings: Settings) -> str:
    """The public base that SDKs reach Log Center at."""
    if settings.public_url:
        return settings.public_url
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    scheme = proto if proto in ("http", "https") else request.scheme
    host = host if host and _HOST.match(host) else request.host
    return f"{scheme}://{host}"


def dsn(base: str, public_key: str, sentry_id: int) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{public_key}@{parts.netloc}{parts.path.rstrip('/')}/{sentry_id}"


def new_key() -> str:
    return secrets.token_hex(16)


def _registration(project: Project, base: str) -> dict[str, Any]:
    return {"project_id": project.project_id, "sentry_id": project.id, "public_key": project.public_key,
            "dsn": dsn(base, project.public_key, project.id), "repository": project.repository,
            "created_at": iso(project.created_at), "key_rotated_at": iso(project.key_rotated_at)}


_NO_COUNTS = {"bug_count": 0, "open_count": 0, "occurrence_count": 0, "last_seen_at": None}


def _counts(session, project_id: str) -> dict[str, Any] | None:  # noqa: ANN001
    row = session.execute(
        select(func.sum(BugCounts.bugs).label("bugs"), func.sum(BugCounts.occurrences).label("occurrences"),
               func.sum(case((BugCounts.status.in_(OPEN_STATUSES), BugCounts.bugs), else_=0)).label("open"),
               func.max(BugCounts.last_seen_at).label("last_seen_at"))
        .where(BugCounts.project_id == project_id)).one()
    if not row.bugs:
        return None
    return {"bug_count": int(row.bugs), "open_count": int(row.open or 0),
            "occurrence_count": int(row.occurrences or 0), "last_seen_at": iso(row.last_seen_at)}


def _validated(payload: Any) -> tuple[str, str | None]:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    problems = []
    project_id = payload.get("project_id")
    if project_id is None:
        problems.append(field_error("project_id", "required"))
    elif not isinstance(project_id, str) or not _PROJECT_ID.fullmatch(project_id):
        problems.append(field_error("project_id", f"must be a string matching {limits.PROJECT_ID_PATTERN}"))
    repository = payload.get("repository")
    if repository is not None:
        if not isinstance(repository, str) or not _REPOSITORY.fullmatch(repository.strip()):
            problems.append(field_error("repository", "must be 1-200 characters without spaces, like team/shop"))
        else:
            repository = repository.strip()
    if problems:
        raise ValidationFailed("the project is invalid", problems)
    return project_id, repository


def register(payload: Any, base: str) -> tuple[dict[str, Any], bool]:
    """(the project, whether it was created now); an existing project is returned unchanged."""
    project_id, repository = _validated(payload)
    try:
        with session_scope(write=True) as session:
            existing = session.scalar(select(Project).where(Project.project_id == project_id))
            if existing is not None:
                return {**_registration(existing, base), **(_counts(session, project_id) or _NO_COUNTS)}, False
            project = Project(project_id=project_id, public_key=new_key(), repository=repository,
                              created_at=utcnow())
            session.add(project)
            session.flush()
            return {**_registration(project, base), **(_counts(session, project_id) or _NO_COUNTS)}, True
    except IntegrityError:
        # Registered by a concurrent request between our read and our insert: theirs stands.
        return get_project(project_id, base), False


def get_project(project_id: str, base: str) -> dict[str, Any]:
    with session_scope() as session:
        project = session.scalar(select(Project).where(Project.project_id == project_id))
        counts = _counts(session, project_id)
    if project is None and counts is None:
        raise NotFound(f"no project {project_id!r}")
    registration = _registration(project, base) if project is not None else {
        "project_id": project_id, "sentry_id": None, "public_key": None, "dsn": None, "repository": None,
        "created_at": None, "key_rotated_at": None}
    return {**registration, **(counts or _NO_COUNTS)}


def rotate_key(project_id: str, base: str) -> dict[str, Any]:
    """A new key; the old one is refused from the next request on (nothing caches keys)."""
    with session_scope(write=True) as session:
        project = session.scalar(select(Project).where(Project.project_id == project_id))
        if project is None:
            raise NotFound(f"project {project_id!r} is not registered for SDKs; POST /api/v1/projects first")
        project.public_key = new_key()
        project.key_rotated_at = utcnow()
        session.flush()
        return {**_registration(project, base), **(_counts(session, project_id) or _NO_COUNTS)}


def list_projects(source: list[str] | None, base: str, q: str | None = None, page: int = 1,
                  page_size: int = limits.DEFAULT_PROJECTS_PAGE_SIZE, sort: str | None = None) -> dict[str, Any]:
    """One page of the bugs' projects list (shape unchanged), registered projects adding
    `sentry_id` and `dsn`; without a source filter, registered projects that have no bugs yet
    too. Paged in the database (issue 11, item 4): one client can make 30,000 project ids."""
    listed = queries.list_projects(source, q=q, page=page, page_size=page_size, sort=sort,
                                   also=None if source else select(Project.project_id))
    names = [item["project_id"] for item in listed["items"]]
    with session_scope() as session:
        registered = {p.project_id: p for p in session.scalars(select(Project).where(Project.project_id.in_(names)))} \
            if names else {}
    items = []
    for item in listed["items"]:
        project = registered.get(item["project_id"])
        if project is not None:
            item = {**item, "sentry_id": project.id, "dsn": dsn(base, project.public_key, project.id)}
        items.append(item)
    return {**listed, "items": items}
