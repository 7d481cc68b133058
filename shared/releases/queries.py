"""Reading releases: the list, one release with its lists, and a bug's release and suspect deploy.

Every read is an index lookup on the release tables: the list pages `release` (or, for one
environment, `release_environment`) by first_seen_at and takes its counters from the rows;
the lists of a release read `release_bug` by release id and load those bugs by id. Nothing
here counts or scans `errorlog` (docs/releases.md, bench/queries.py at 1M bugs).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.core import limits
from shared.db.engine import session_scope
from shared.db.models import Deploy, ErrorLog, Release, ReleaseBug, ReleaseEnvironment
from shared.http.errors import NotFound, ValidationFailed, field_error
from shared.releases import track
from shared.timeutil import iso

# Deploys shown with each release of the list, and entries of each list on a release's page
# (the counters say how many there are in all).
LIST_DEPLOYS = 10
DETAIL_ITEMS = 100
_PROJECT_ID = re.compile(limits.PROJECT_ID_PATTERN)
_LISTS = {"cicd_failure": "cicd_failures", "deployment_error": "deployment_errors",
          "new_runtime_bug": "new_runtime_bugs", "regression": "regressions"}


def check_project_id(value: str | None, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ValidationFailed("project_id is required", [field_error("project_id", "required")])
        return None
    if not _PROJECT_ID.match(value):
        raise ValidationFailed("invalid project_id",
                               [field_error("project_id", f"must match {limits.PROJECT_ID_PATTERN}")])
    return value


def valid_path(project_id: str, version: str) -> bool:
    """Whether a detail path can name a release at all (anything else is a 404)."""
    return bool(_PROJECT_ID.match(project_id)) and 0 < len(version) <= limits.MAX_SHORT_FIELD \
        and "\x00" not in version


def check_environment(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > limits.MAX_SHORT_FIELD:
        raise ValidationFailed("invalid environment", [field_error(
            "environment", f"must be at most {limits.MAX_SHORT_FIELD} characters")])
    # Stored names never hold NUL (ingest drops it): dropped here too, as the bug list does.
    return value.replace("\x00", "") or None


def _counts(release: Release, env: ReleaseEnvironment | None) -> dict[str, int]:
    source = env if env is not None else release
    return {"cicd_failures": int(release.cicd_failures or 0),
            "deployment_errors": int(source.deployment_errors or 0),
            "new_runtime_bugs": int(source.new_runtime_bugs or 0),
            "regressions": int(source.regressions or 0)}


def release_dict(release: Release, env: ReleaseEnvironment | None = None) -> dict[str, Any]:
    return {"project_id": release.project_id, "version": release.version, "commit_sha": release.commit_sha,
            "first_seen_at": iso(env.first_seen_at if env is not None else release.first_seen_at),
            "last_seen_at": iso(env.last_seen_at if env is not None else release.last_seen_at),
            "deploy_count": int((env if env is not None else release).deploys or 0),
            "counts": _counts(release, env)}


def release_ref(release: Release | None) -> dict[str, Any] | None:
    if release is None:
        return None
    return {"project_id": release.project_id, "version": release.version, "commit_sha": release.commit_sha,
            "first_seen_at": iso(release.first_seen_at)}


def deploy_dict(deploy: Deploy, release: Release) -> dict[str, Any]:
    return {"id": deploy.id, "project_id": deploy.project_id, "environment": deploy.environment,
            "version": release.version, "commit_sha": deploy.commit_sha or release.commit_sha,
            "url": deploy.url, "actor": deploy.actor, "started_at": iso(deploy.started_at),
            "finished_at": iso(deploy.finished_at), "deployed_at": iso(deploy.deployed_at),
            "created_at": iso(deploy.created_at)}


_SUMMARY_COLUMNS = (ErrorLog.id, ErrorLog.project_id, ErrorLog.source, ErrorLog.level, ErrorLog.error_type,
                    ErrorLog.error_message, ErrorLog.status, ErrorLog.occurrence_count, ErrorLog.is_regression,
                    ErrorLog.first_seen_at, ErrorLog.last_seen_at)


def _bug_summary(bug: Any, environment: str) -> dict[str, Any]:
    return {"id": bug.id, "project_id": bug.project_id, "source": bug.source, "level": bug.level,
            "environment": environment or None, "error_type": bug.error_type,
            "error_message": bug.error_message[:500] if bug.error_message else None, "status": bug.status,
            "occurrence_count": bug.occurrence_count, "is_regression": bool(bug.is_regression),
            "first_seen_at": iso(bug.first_seen_at), "last_seen_at": iso(bug.last_seen_at)}


def _deploys_of(session: Session, releases: dict[int, Release], environment: str | None,
                per_release: int) -> dict[int, list[dict[str, Any]]]:
    """The newest `per_release` deploys of each release, in one query."""
    if not releases:
        return {}
    rank = func.row_number().over(partition_by=Deploy.release_id,
                                  order_by=(Deploy.deployed_at.desc(), Deploy.id.desc())).label("rank")
    inner = select(Deploy.id, rank).where(Deploy.release_id.in_(list(releases)))
    if environment is not None:
        inner = inner.where(Deploy.environment == environment)
    inner = inner.subquery()
    rows = session.scalars(select(Deploy).join(inner, inner.c.id == Deploy.id).where(inner.c.rank <= per_release)
                           .order_by(Deploy.deployed_at.desc(), Deploy.id.desc())).all()
    out: dict[int, list[dict[str, Any]]] = {rid: [] for rid in releases}
    for deploy in rows:
        out[deploy.release_id].append(deploy_dict(deploy, releases[deploy.release_id]))
    return out


def list_releases(project_id: str | None, environment: str | None, page: int, page_size: int) -> dict[str, Any]:
    with session_scope() as session:
        if environment is None:
            stmt = select(Release)
            if project_id is not None:
                stmt = stmt.where(Release.project_id == project_id)
            total = session.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = [(r, None) for r in session.scalars(
                stmt.order_by(Release.first_seen_at.desc(), Release.id.desc())
                .limit(page_size).offset((page - 1) * page_size))]
        else:
            where = [ReleaseEnvironment.environment == environment]
            if project_id is not None:
                where.append(ReleaseEnvironment.project_id == project_id)
            total = session.scalar(select(func.count()).select_from(ReleaseEnvironment).where(*where))
            rows = list(session.execute(
                select(Release, ReleaseEnvironment).join(ReleaseEnvironment,
                                                         ReleaseEnvironment.release_id == Release.id)
                .where(*where)
                .order_by(ReleaseEnvironment.first_seen_at.desc(), ReleaseEnvironment.release_id.desc())
                .limit(page_size).offset((page - 1) * page_size)))
        deploys = _deploys_of(session, {r.id: r for r, _ in rows}, environment, LIST_DEPLOYS)
        items = [{**release_dict(r, env), "environment": environment, "deploys": deploys[r.id]}
                 for r, env in rows]
    return {"items": items, "total": int(total or 0), "page": page, "page_size": page_size}


def find_release(session: Session, project_id: str, version: str) -> Release | None:
    """The release a version names: exactly, or as a sha of its commit (7+ chars)."""
    exact = session.scalar(select(Release).where(Release.project_id == project_id, Release.version == version))
    if exact is not None:
        return exact
    release_id = track.resolve(session.connection(), project_id, version, None, datetime.min, create=False)
    return session.get(Release, release_id) if release_id is not None else None


def get_deploy(deploy_id: int) -> dict[str, Any]:
    with session_scope() as session:
        deploy = session.get(Deploy, deploy_id)
        return deploy_dict(deploy, session.get(Release, deploy.release_id))


def get_release(project_id: str, version: str, environment: str | None) -> dict[str, Any]:
    with session_scope() as session:
        release = find_release(session, project_id, version)
        if release is None:
            raise NotFound(f"no release {version!r} of project {project_id!r}")
        envs = session.scalars(select(ReleaseEnvironment).where(ReleaseEnvironment.release_id == release.id)
                               .order_by(ReleaseEnvironment.first_seen_at)).all()
        env_row = next((e for e in envs if e.environment == environment), None) if environment else None
        if environment is not None and env_row is None:
            # Nothing of it reached this environment yet: only its CI failures (no environment).
            env_row = ReleaseEnvironment(environment=environment, first_seen_at=release.first_seen_at,
                                         last_seen_at=release.first_seen_at, deployment_errors=0,
                                         new_runtime_bugs=0, regressions=0, deploys=0)
        body = release_dict(release, env_row)
        body["environment"] = environment
        body["environments"] = [{"environment": e.environment or None, "first_seen_at": iso(e.first_seen_at),
                                 "last_seen_at": iso(e.last_seen_at), "deploy_count": int(e.deploys),
                                 "counts": _counts(release, e)} for e in envs]
        body["deploys"] = _deploys_of(session, {release.id: release}, environment, DETAIL_ITEMS)[release.id]
        links = _links(session, release.id, environment)
        # The columns a summary shows, not whole rows (stack traces and contexts stay put).
        bugs = {b.id: b for b in session.execute(
            select(*_SUMMARY_COLUMNS).where(ErrorLog.id.in_({link.bug_id for link in links})))} if links else {}
        for kind, name in _LISTS.items():
            # A bug retention removed since stays counted (history) but has nothing to show.
            body[name] = [_bug_summary(bugs[link.bug_id], link.environment) for link in links
                          if link.kind == kind and link.bug_id in bugs]
    return body


def _links(session: Session, release_id: int, environment: str | None) -> list[Any]:
    """The newest DETAIL_ITEMS links of each kind, in one query (CI failures have no environment)."""
    rank = func.row_number().over(partition_by=ReleaseBug.kind, order_by=ReleaseBug.id.desc()).label("rank")
    stmt = select(ReleaseBug.id, ReleaseBug.kind, ReleaseBug.environment, ReleaseBug.bug_id, rank) \
        .where(ReleaseBug.release_id == release_id)
    if environment is not None:
        stmt = stmt.where(or_(ReleaseBug.kind == "cicd_failure", ReleaseBug.environment == environment))
    ranked = stmt.subquery()
    return list(session.execute(select(ranked).where(ranked.c.rank <= DETAIL_ITEMS).order_by(ranked.c.id.desc())))


def release_of_bug(session: Session, bug: ErrorLog) -> Release | None:
    """The release a bug was first counted in (its first_version's, or its first commit's)."""
    release_id = session.scalar(select(ReleaseBug.release_id).where(ReleaseBug.bug_id == bug.id)
                                .order_by(ReleaseBug.id).limit(1))
    if release_id is not None:
        return session.get(Release, release_id)
    if bug.first_version:
        return find_release(session, bug.project_id, bug.first_version)
    return None


def suspect_deploy(session: Session, bug: ErrorLog) -> dict[str, Any] | None:
    """The last deploy of the bug's project and environment at or before it was first seen.
    None for CI failures (a build fails before its commit is deployed anywhere) and for bugs
    without an environment (environments are kept apart: no guess across them)."""
    if bug.source == "cicd" or not bug.environment or bug.first_seen_at is None:
        return None
    row = session.execute(
        select(Deploy, Release).join(Release, Release.id == Deploy.release_id)
        .where(Deploy.project_id == bug.project_id, Deploy.environment == bug.environment,
               Deploy.deployed_at <= bug.first_seen_at)
        .order_by(Deploy.deployed_at.desc(), Deploy.id.desc()).limit(1)).first()
    return deploy_dict(row[0], row[1]) if row is not None else None


def bug_release_info(session: Session, bug: ErrorLog) -> dict[str, Any]:
    """What a bug's detail adds: `release` and `suspect_deploy`."""
    return {"release": release_ref(release_of_bug(session, bug)), "suspect_deploy": suspect_deploy(session, bug)}
