"""Rows to the response shapes of DESIGN.md."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, func

from shared.core import limits
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


# Lists (bugs, tasks/pending) carry summaries: a page of 200 bugs whose reports were ~1 MiB
# each must not be 200 MiB, in the answer or in the function's memory. So the database sends
# only the start of the message and of the context, never the stack trace; the detail
# (`GET /api/v1/bugs/{id}`) is the whole bug.
SUMMARY_CONTEXT_KEYS = {
    "cicd": ("workflow_name", "job_name", "step_name", "run_id", "run_number", "run_url", "repository",
             "ref", "commit_sha", "actor"),
    "deployment": ("namespace", "pod_name", "container_name", "deployment_name", "restart_count", "reason",
                   "exit_code", "node_name", "image"),
}
SUMMARY_COLUMNS = (
    ErrorLog.id, ErrorLog.project_id, ErrorLog.source, ErrorLog.level, ErrorLog.environment, ErrorLog.version,
    ErrorLog.commit_hash, ErrorLog.error_type,
    func.substr(ErrorLog.error_message, 1, limits.SUMMARY_MESSAGE, type_=Text).label("error_message"),
    func.length(ErrorLog.error_message).label("message_length"),
    ErrorLog.file_path, ErrorLog.line_number,
    func.substr(ErrorLog.context, 1, limits.SUMMARY_CONTEXT_READ, type_=Text).label("context_start"),
    ErrorLog.fingerprint, ErrorLog.status, ErrorLog.occurrence_count, ErrorLog.is_regression,
    ErrorLog.first_version, ErrorLog.first_seen_at, ErrorLog.last_seen_at, ErrorLog.reported_at,
)


def summary_dict(row: Any) -> dict[str, Any]:
    """A row of SUMMARY_COLUMNS as a list item: the bug without `stack_trace`, its message cut
    to SUMMARY_MESSAGE characters (`error_message_truncated` says so), and of its context only
    the short keys DESIGN.md names for CI/CD and deployment errors (never `log_tail`)."""
    out = {name: getattr(row, name) for name in BUG_FIELDS if name != "stack_trace" and name != "context"}
    out["error_message_truncated"] = (row.message_length or 0) > limits.SUMMARY_MESSAGE
    out["context"] = _summary_context(row.context_start, SUMMARY_CONTEXT_KEYS.get(row.source, ()))
    out["is_regression"] = bool(out["is_regression"])
    out["first_seen_at"] = iso(row.first_seen_at)
    out["last_seen_at"] = iso(row.last_seen_at)
    out["reported_at"] = iso(row.reported_at)
    return out


_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def _summary_context(start: str | None, keys: tuple[str, ...]) -> dict[str, Any]:
    """The wanted scalar members of a JSON object of which only `start` was read: members are
    decoded one by one until the text ends, so keys sent before a long log tail are found."""
    found: dict[str, Any] = {}
    if not keys or not start:
        return found
    text, i = start, 0
    try:
        i = _skip(text, i)
        if text[i] != "{":
            return found
        i += 1
        while True:
            i = _skip(text, i)
            if text[i] == "}":
                break
            key, i = json.decoder.scanstring(text, i + 1)
            i = _skip(text, i)
            if text[i] != ":":
                break
            value, i = _DECODER.raw_decode(text, _skip(text, i + 1))
            if key in keys and (value is None or isinstance(value, (str, int, float, bool))):
                found[key] = value[: limits.SUMMARY_CONTEXT_VALUE] if isinstance(value, str) else value
            i = _skip(text, i)
            if text[i] != ",":
                break
            i += 1
    except (ValueError, IndexError):
        pass  # the read part ends here (or the text is not JSON: pre-extension rows)
    return found


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def history_dict(row: StatusHistory) -> dict[str, Any]:
    return {"from_status": row.from_status, "to_status": row.to_status, "note": row.note,
            "actor": row.actor, "created_at": iso(row.created_at)}


def occurrence_dict(row: Occurrence) -> dict[str, Any]:
    return {"id": row.id, "seq": row.seq, "created_at": iso(row.created_at), "level": row.level,
            "message": row.message, "environment": row.environment, "version": row.version,
            "commit_hash": row.commit_hash, "reported_at": iso(row.reported_at), "event_id": row.event_id,
            "context": row.context or {}, "stack_trace": row.stack_trace}
