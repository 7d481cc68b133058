"""A bug's recent occurrences, newest first (ingest keeps the newest per bug)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shared.bugs.serialize import occurrence_dict
from shared.db.engine import session_scope
from shared.db.models import ErrorLog, Occurrence
from shared.http.errors import NotFound


def list_occurrences(bug_id: int, page: int, page_size: int) -> dict[str, Any]:
    with session_scope() as session:
        if session.get(ErrorLog, bug_id) is None:
            raise NotFound(f"no bug {bug_id}")
        total = session.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.bug_id == bug_id))
        rows = session.scalars(select(Occurrence).where(Occurrence.bug_id == bug_id)
                               .order_by(Occurrence.seq.desc()).limit(page_size).offset((page - 1) * page_size))
        return {"items": [occurrence_dict(r) for r in rows], "total": int(total or 0), "page": page,
                "page_size": page_size}
