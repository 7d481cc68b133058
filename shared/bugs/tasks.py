"""The repair queue: pending runtime bugs and the atomic claim."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shared.bugs.queries import apply_filters, count_bugs, history_of
from shared.bugs.serialize import SUMMARY_COLUMNS, bug_dict, summary_dict
from shared.bugs.status import clean_note, locked_bug, record_change
from shared.core.vocabulary import CLAIMABLE_STATUSES, PENDING_STATUSES
from shared.db.engine import session_scope
from shared.db.models import ErrorLog
from shared.http.errors import Conflict, ValidationFailed, field_error


def pending(source: list[str] | None, project_id: list[str] | None, limit: int) -> dict[str, Any]:
    filters = dict(source=source, project_id=project_id, status=PENDING_STATUSES)
    with session_scope() as session:
        total = count_bugs(session, **filters)
        rows = session.execute(apply_filters(select(*SUMMARY_COLUMNS), **filters)
                               .order_by(ErrorLog.first_seen_at.asc(), ErrorLog.id.asc()).limit(limit)).all()
        # Summaries, like the bug list: the repair agent reads the whole bug when it claims it.
        return {"items": [summary_dict(r) for r in rows], "total": total}


def claim(bug_id: int, payload: Any, actor: str) -> dict[str, Any]:
    """Move a claimable bug to FIXING. The row lock (PostgreSQL) or the write lock taken at
    BEGIN IMMEDIATE (SQLite) makes the check and the change one step: one of two
    concurrent claims wins, the other sees FIXING and gets 409."""
    if payload is not None and not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    note = clean_note((payload or {}).get("note"))
    with session_scope(write=True) as session:
        bug = locked_bug(session, bug_id)
        if bug.source != "runtime":
            raise ValidationFailed(f"{bug.source} bugs are not auto-repairable",
                                   [field_error("id", "only runtime bugs can be claimed")])
        if bug.status not in CLAIMABLE_STATUSES:
            raise Conflict(f"bug {bug_id} is {bug.status}; only {', '.join(CLAIMABLE_STATUSES)} can be claimed")
        record_change(session, bug, "FIXING", note or "claimed for repair", actor)
        session.flush()
        return {**bug_dict(bug), "history": history_of(session, bug_id)}
