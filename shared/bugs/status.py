"""Changing a bug's status: the row locked, the history row written, the counters moved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.bugs.queries import history_of
from shared.bugs.serialize import bug_dict
from shared.releases.queries import bug_release_info
from shared.core import limits
from shared.core.text import clean_text
from shared.core.vocabulary import STATUSES
from shared.db import counters
from shared.db.engine import session_scope
from shared.db.models import ErrorLog, StatusHistory
from shared.http.errors import Conflict, NotFound, ValidationFailed, field_error
from shared.timeutil import utcnow


def locked_bug(session: Session, bug_id: int) -> ErrorLog:
    bug = session.scalars(select(ErrorLog).where(ErrorLog.id == bug_id).with_for_update()).first()
    if bug is None:
        raise NotFound(f"no bug {bug_id}")
    return bug


def clean_note(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed("invalid note", [field_error("note", "must be a string")])
    return clean_text(value)[: limits.MAX_NOTE] or None


def record_change(session: Session, bug: ErrorLog, to_status: str, note: str | None, actor: str) -> None:
    session.add(StatusHistory(bug_id=bug.id, from_status=bug.status, to_status=to_status, note=note,
                              actor=actor[:64], created_at=utcnow()))
    counters.move(session.connection(), project_id=bug.project_id, source=bug.source, level=bug.level,
                  fingerprint=bug.fingerprint, occurrence_count=bug.occurrence_count,
                  from_status=bug.status, to_status=to_status, last_seen_at=bug.last_seen_at)
    bug.status = to_status


def change_status(bug_id: int, payload: Any, actor: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    status = payload.get("status")
    if status is None:
        raise ValidationFailed("status is required", [field_error("status", "required")])
    if not isinstance(status, str) or status.upper() not in STATUSES:
        raise ValidationFailed("invalid status", [field_error("status", f"must be one of {', '.join(STATUSES)}")])
    status = status.upper()
    note = clean_note(payload.get("note"))
    if status == "FIXING":
        raise Conflict("FIXING is entered only by claiming the task (POST /api/v1/tasks/{id}/claim)")
    with session_scope(write=True) as session:
        bug = locked_bug(session, bug_id)
        if status == "PENDING_FIX" and bug.source != "runtime":
            raise ValidationFailed(
                f"{bug.source} bugs are not auto-repairable; only runtime bugs can be queued for repair",
                [field_error("status", "PENDING_FIX is only for runtime bugs")])
        record_change(session, bug, status, note, actor)
        session.flush()
        return {**bug_dict(bug), **bug_release_info(session, bug), "history": history_of(session, bug_id)}
