"""Rows to the response shapes of DESIGN.md."""

from __future__ import annotations

from typing import Any

from shared.db.models import ErrorLog, Occurrence, StatusHistory
from shared.timeutil import iso

BUG_FIELDS = ("id", "project_id", "source", "level", "environment", "version", "commit_hash",
              "error_type", "error_message", "file_path", "line_number", "stack_trace", "context",
              "fingerprint", "status", "occurrence_count", "is_regression", "first_version")


def bug_dict(bug: ErrorLog) -> dict[str, Any]:
    out = {name: getattr(bug, name) for name in BUG_FIELDS}
    out["context"] = out["context"] or {}
    out["is_regression"] = bool(out["is_regression"])
    out["first_seen_at"] = iso(bug.first_seen_at)
    out["last_seen_at"] = iso(bug.last_seen_at)
    out["reported_at"] = iso(bug.reported_at)
    return out


def history_dict(row: StatusHistory) -> dict[str, Any]:
    return {"from_status": row.from_status, "to_status": row.to_status, "note": row.note,
            "actor": row.actor, "created_at": iso(row.created_at)}


def occurrence_dict(row: Occurrence) -> dict[str, Any]:
    return {"id": row.id, "seq": row.seq, "created_at": iso(row.created_at), "level": row.level,
            "message": row.message, "environment": row.environment, "version": row.version,
            "commit_hash": row.commit_hash, "reported_at": iso(row.reported_at), "event_id": row.event_id,
            "context": row.context or {}, "stack_trace": row.stack_trace}
