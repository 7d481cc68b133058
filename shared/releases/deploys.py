"""Deploys: `POST /api/v1/deploys` records that a release reached an environment.

`{project_id, environment, version?, commit_sha?, url?, actor?, started_at?, finished_at?,
event_id?}`: project_id and environment are required, and a version or a commit (or both).
The release is found or created by the rules of track.py, so a deploy of `1.4.2` at commit
`9f2c1e0…` and a crash of the image `shop:9f2c1e0` land on one release. The same deploy sent
again (a client retrying after a lost answer: the same `event_id`, or without one the same
release, environment, run link and explicit time) is answered 200 with the deploy already
recorded, not counted twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import text

from shared.core import limits
from shared.core.commits import as_sha
from shared.core.text import clean_text
from shared.db import sql
from shared.db.engine import get_engine, write_options
from shared.http.errors import ValidationFailed, field_error
from shared.releases import track
from shared.timeutil import parse_iso, utcnow

MAX_URL = 1024
MAX_ACTOR = 128
_PROJECT_ID = re.compile(limits.PROJECT_ID_PATTERN)
_EVENT_ID = re.compile(r"[0-9a-f]{32}")
# ASCII blanks only, the same as openapi.yaml's `\s` (str.strip() would also take U+0085 and
# U+001C..U+001F, which JSON Schema does not call whitespace).
_BLANK = " \t\r\n\f\v"

_SAME_EVENT = text("SELECT id FROM deploy WHERE project_id = :project_id AND event_id = :event_id")
_SAME = text("SELECT id FROM deploy WHERE project_id = :project_id AND environment = :environment "
             "AND release_id = :release_id AND url = :url AND deployed_at = :deployed_at")
_INSERT = text("INSERT INTO deploy (project_id, environment, release_id, version, commit_sha, url, actor, "
               "started_at, finished_at, deployed_at, created_at, event_id) VALUES (:project_id, :environment, "
               ":release_id, :version, :commit_sha, :url, :actor, :started_at, :finished_at, :deployed_at, :now, "
               ":event_id) ON CONFLICT (project_id, event_id) DO NOTHING RETURNING id")
_COUNT = text("UPDATE release SET deploys = deploys + 1, "
              "first_seen_at = CASE WHEN :deployed_at < first_seen_at THEN :deployed_at ELSE first_seen_at END, "
              "last_seen_at = CASE WHEN :deployed_at > last_seen_at THEN :deployed_at ELSE last_seen_at END "
              "WHERE id = :release_id")

_HTTP_URL = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[^/?#\s\[\]]+)")



def _text(payload: dict, name: str, limit: int, errors: list, required: bool = False) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            errors.append(field_error(name, "required"))
        return None
    if not isinstance(value, str):
        errors.append(field_error(name, "must be a string"))
        return None
    value = clean_text(value).strip(_BLANK)
    if not value:
        if required:
            errors.append(field_error(name, "must not be empty"))
        return None
    if len(value) > limit:
        errors.append(field_error(name, f"must be at most {limit} characters"))
        return None
    return value


def _time(payload: dict, name: str, errors: list) -> datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    errors.append(field_error(name, "must be an ISO 8601 date-time string"))
    return None


def validate_deploy(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    errors: list = []
    out: dict[str, Any] = {}
    out["project_id"] = _text(payload, "project_id", 64, errors, required=True)
    if out["project_id"] and not _PROJECT_ID.match(out["project_id"]):
        errors.append(field_error("project_id", f"must match {limits.PROJECT_ID_PATTERN}"))
    out["environment"] = _text(payload, "environment", limits.MAX_SHORT_FIELD, errors, required=True)
    out["version"] = _text(payload, "version", limits.MAX_SHORT_FIELD, errors)
    commit = _text(payload, "commit_sha", limits.MAX_SHORT_FIELD, errors)
    out["commit_sha"] = as_sha(commit)
    if commit is not None and out["commit_sha"] is None:
        errors.append(field_error("commit_sha", "must be a commit sha (7 to 64 hexadecimal digits)"))
    if out["version"] is None and commit is None and not any(e["field"] in ("version", "commit_sha")
                                                              for e in errors):
        errors.append(field_error("version", "a version or a commit_sha is required"))
    out["url"] = _text(payload, "url", MAX_URL, errors)
    # The rule openapi.yaml states, no more and no less: http(s), then a host (a bracketed
    # IPv6 literal or a name without brackets). The link is shown, never fetched.
    if out["url"] is not None and not _HTTP_URL.match(out["url"]):
        errors.append(field_error("url", "must be an http(s) URL"))
    out["actor"] = _text(payload, "actor", MAX_ACTOR, errors)
    out["started_at"] = _time(payload, "started_at", errors)
    out["finished_at"] = _time(payload, "finished_at", errors)
    event_id = payload.get("event_id")
    out["event_id"] = event_id.strip().replace("-", "").lower() if isinstance(event_id, str) else None
    if event_id is not None and not (out["event_id"] and _EVENT_ID.fullmatch(out["event_id"])):
        errors.append(field_error("event_id", "must be 32 hexadecimal digits (a UUID)"))
    if errors:
        raise ValidationFailed("the deploy is invalid", errors)
    return out


def record_deploy(payload: Any) -> tuple[int, bool]:
    """Record one deploy; its id and whether it was new."""
    deploy = validate_deploy(payload)
    now = utcnow()
    deployed_at = deploy["finished_at"] or deploy["started_at"] or now
    with get_engine().execution_options(**write_options()).begin() as conn:
        if deploy["event_id"]:
            # Sent before: the retry of a client whose answer was lost.
            same = conn.execute(_SAME_EVENT, deploy).first()
            if same is not None:
                return same.id, False
        release_id = track.resolve(conn, deploy["project_id"], deploy["version"], deploy["commit_sha"],
                                   deployed_at)
        params = {**deploy, "release_id": release_id, "deployed_at": deployed_at, "now": now}
        explicit_time = deploy["finished_at"] or deploy["started_at"]
        same = conn.execute(_SAME, params).first() if deploy["url"] and explicit_time else None
        if same is not None:
            return same.id, False
        inserted = conn.execute(_INSERT, params).first()
        if inserted is None:  # the same event_id, committed by a concurrent request first
            return conn.execute(_SAME_EVENT, deploy).one().id, False
        deploy_id = inserted.id
        conn.execute(_COUNT, params)
        sql.execute(conn, track.ENV_COUNT["deploys"], {**params, "now": deployed_at})
        return deploy_id, True
