"""Report payload validation: strict on types, lenient on sizes.

Like GlitchTip's ingest, oversize strings are truncated rather than rejected (the
response lists what was cut), NUL bytes and lone surrogates are removed (PostgreSQL
text cannot hold them), and only a wrong type or a missing required field is a 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.core import limits
from shared.core.text import clean_text
from shared.core.vocabulary import LEVELS, SOURCES
from shared.http.errors import ValidationFailed, field_error
from shared.timeutil import parse_iso

_PROJECT_ID = re.compile(limits.PROJECT_ID_PATTERN)


@dataclass
class Report:
    project_id: str
    source: str
    level: str
    environment: str | None
    version: str | None
    commit_hash: str | None
    reported_at: datetime | None
    error_type: str
    error_message: str | None
    file_path: str | None
    line_number: int | None
    stack_trace: Any
    context: dict[str, Any]
    truncated: list[str] = field(default_factory=list)
    # The client's id of this report (32 lowercase hex): a retry with the same id within 24 h
    # is answered without counting again.
    event_id: str | None = None
    # A client-chosen grouping (a Sentry event's `fingerprint`), `{{ default }}` expanded by
    # store.fingerprint_of; None: the source's rule of DESIGN.md.
    fingerprint_parts: list[str] | None = None


class _Checker:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []
        self.truncated: list[str] = []

    def fail(self, name: str, issue: str) -> None:
        self.errors.append(field_error(name, issue))

    def text(self, obj: dict, key: str, name: str, limit: int, required: bool = False,
             keep_tail: bool = False) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(name, "required")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        value = clean_text(value)
        if required and not value.strip():
            self.fail(name, "must not be empty")
            return None
        if len(value) > limit:
            self.truncated.append(name)
            value = value[-limit:] if keep_tail else value[:limit]
        return value

    def json_value(self, value: Any, name: str, depth: int = 0) -> Any:
        """Copy a JSON value with every string cleaned and bounded.

        A member's name (`context.sentry.breadcrumbs[2].message`) is only spelled out when it
        is truncated or descended into: a Sentry event's context has a hundred members."""
        if depth > limits.MAX_JSON_DEPTH:
            raise _TooDeep(name)
        if isinstance(value, str):
            return self._string(value, name, None)
        if isinstance(value, dict):
            if value and depth + 1 > limits.MAX_JSON_DEPTH:
                raise _TooDeep(name)
            out = {}
            for k, v in value.items():
                key = clean_text(k if isinstance(k, str) else str(k))[: limits.MAX_CONTEXT_KEY]
                out[key] = self._member(v, name, "." + key, depth + 1)
            return out
        if isinstance(value, list):
            if value and depth + 1 > limits.MAX_JSON_DEPTH:
                raise _TooDeep(name)
            return [self._member(v, name, f"[{i}]", depth + 1) for i, v in enumerate(value)]
        return value

    def _member(self, value: Any, parent: str, suffix: str, depth: int) -> Any:
        """A member whose depth the container checked: only containers recurse."""
        if isinstance(value, str):
            return self._string(value, parent, suffix)
        if isinstance(value, (dict, list)):
            return self.json_value(value, parent + suffix, depth)
        return value

    def _string(self, value: str, parent: str, member: str | None) -> str:
        value = clean_text(value)
        if len(value) > limits.MAX_CONTEXT_STRING:
            name = parent if member is None else parent + member
            self.truncated.append(name)
            # Log tails matter at their end; everything else at its start.
            value = value[-limits.MAX_CONTEXT_STRING:] if name.endswith("log_tail") \
                else value[: limits.MAX_CONTEXT_STRING]
        return value


class _TooDeep(Exception):
    pass


def validate_report(payload: Any) -> Report:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("$", "must be an object")])
    c = _Checker()

    project_id = payload.get("project_id")
    if project_id is None:
        c.fail("project_id", "required")
    elif not isinstance(project_id, str):
        c.fail("project_id", "must be a string")
    elif not _PROJECT_ID.fullmatch(project_id):  # not match(): `$` also matches before a final \n
        c.fail("project_id", f"must match {limits.PROJECT_ID_PATTERN}")

    source = payload.get("source", "runtime")
    if source is None:
        source = "runtime"
    if not isinstance(source, str) or source.lower() not in SOURCES:
        c.fail("source", f"must be one of {', '.join(SOURCES)}")
    else:
        source = source.lower()

    level = payload.get("level", "ERROR")
    if level is None:
        level = "ERROR"
    if not isinstance(level, str) or level.upper() not in LEVELS:
        c.fail("level", f"must be one of {', '.join(LEVELS)}")
    else:
        level = level.upper()

    environment = c.text(payload, "environment", "environment", limits.MAX_SHORT_FIELD)
    version = c.text(payload, "version", "version", limits.MAX_SHORT_FIELD)
    commit_hash = c.text(payload, "commit_hash", "commit_hash", limits.MAX_SHORT_FIELD)
    reported_at = _timestamp(payload.get("timestamp"), c)
    event_id = _event_id(payload.get("event_id"), c)

    error = payload.get("error")
    error_type = message = file_path = None
    line_number = None
    stack_trace = None
    if error is None:
        c.fail("error", "required")
        c.fail("error.type", "required")
    elif not isinstance(error, dict):
        c.fail("error", "must be an object")
    else:
        error_type = c.text(error, "type", "error.type", limits.MAX_ERROR_TYPE, required=True)
        message = c.text(error, "message", "error.message", limits.MAX_MESSAGE)
        file_path = c.text(error, "file_path", "error.file_path", limits.MAX_FILE_PATH)
        line_number = _line_number(error.get("line_number"), c)
        stack_trace = _stack_trace(error.get("stack_trace"), c)

    context = payload.get("context")
    if context is None:
        context = {}
    elif not isinstance(context, dict):
        c.fail("context", "must be an object")
        context = {}
    else:
        try:
            context = _short_members_first(c.json_value(context, "context"))
        except _TooDeep:
            c.fail("context", f"nested deeper than {limits.MAX_JSON_DEPTH} levels")
            context = {}

    if c.errors:
        raise ValidationFailed("the report is invalid", c.errors)
    return Report(project_id=project_id, source=source, level=level, environment=environment,
                  version=version, commit_hash=commit_hash, reported_at=reported_at,
                  error_type=error_type, error_message=message, file_path=file_path,
                  line_number=line_number, stack_trace=stack_trace, context=context,
                  truncated=c.truncated, event_id=event_id)


def _short_members_first(context: dict[str, Any]) -> dict[str, Any]:
    """The context with its short scalar members (ids, names, counts) ahead of long ones (a log
    tail, nested objects), otherwise in the order sent. Lists read only the start of the stored
    context for their summary (shared/bugs/serialize.py); this way a 64 kB `log_tail` sent
    before `job_name` does not hide it."""
    def long(value: Any) -> bool:
        return not (value is None or isinstance(value, (bool, int, float))
                    or isinstance(value, str) and len(value) <= limits.SUMMARY_CONTEXT_VALUE)

    return dict(sorted(context.items(), key=lambda member: long(member[1])))


_EVENT_ID = re.compile(r"[0-9a-f]{32}")


def _event_id(value: Any, c: _Checker) -> str | None:
    """32 hex digits, as Sentry SDKs send them; a UUID with dashes or in upper case is the same id."""
    if value is None:
        return None
    if isinstance(value, str):
        normalized = value.strip().replace("-", "").lower()
        if _EVENT_ID.fullmatch(normalized):
            return normalized
    c.fail("event_id", "must be 32 hexadecimal digits (a UUID)")
    return None


def _timestamp(value: Any, c: _Checker) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            dt = parse_iso(value)
        except ValueError:
            c.fail("timestamp", "must be an ISO 8601 date-time between years 1 and 9999 in UTC")
            return None
        return dt
    c.fail("timestamp", "must be an ISO 8601 date-time string")
    return None


def _line_number(value: Any, c: _Checker) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 42.0 is the integer 42 (as JSON Schema says)
    if isinstance(value, bool) or not isinstance(value, int):
        c.fail("error.line_number", "must be an integer")
    elif value < 0:
        c.fail("error.line_number", "must not be negative")
    elif value > limits.MAX_LINE_NUMBER:
        c.fail("error.line_number", f"must be at most {limits.MAX_LINE_NUMBER}")
    else:
        return value
    return None


def _stack_trace(value: Any, c: _Checker) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = clean_text(value)
        if len(value) > limits.MAX_STACK_TRACE:
            c.truncated.append("error.stack_trace")
            value = value[-limits.MAX_STACK_TRACE:]
        return value
    if isinstance(value, list):
        if len(value) > limits.MAX_STACK_FRAMES:
            c.truncated.append("error.stack_trace")
            value = value[-limits.MAX_STACK_FRAMES:]
        try:
            return c.json_value(value, "error.stack_trace", depth=1)
        except _TooDeep:
            c.fail("error.stack_trace", f"nested deeper than {limits.MAX_JSON_DEPTH} levels")
            return None
    c.fail("error.stack_trace", "must be a string or a list of frames")
    return None
