"""A Sentry event as a runtime report (DESIGN.md "Sentry-compatible ingest").

The event is rewritten into the native report's payload and validated by the same
`validate_report`, so both front doors share every rule, limit and truncation, and a
Sentry event and a native report of one error get one fingerprint and land on one bug.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from shared.core import limits
from shared.core.fingerprint import DEFAULT_PART
from shared.core.text import clean_text
from shared.http import errors
from shared.ingest.validation import Report, validate_report
from shared.sentry.scrub import scrub, scrub_url
from shared.timeutil import parse_iso

LEVELS = {"fatal": "CRITICAL", "critical": "CRITICAL", "error": "ERROR", "warning": "WARNING",
          "warn": "WARNING", "info": "INFO", "log": "INFO", "debug": "DEBUG"}
_SHA = re.compile(r"(?:^|@)([0-9a-f]{7,40})$")
_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_DEFAULT = re.compile(r"^\{\{\s*default\s*\}\}$")
_CONTEXTS = ("os", "runtime", "browser", "device", "trace", "app", "culture")
_FRAME_KEYS = (("filename", "file"), ("lineno", "line"), ("colno", "column"), ("function", "function"), ("module", "module"),
               ("context_line", "context_line"), ("in_app", "in_app"))


def new_event_id() -> str:
    return uuid.uuid4().hex


def event_id_of(event: dict[str, Any], fallback: Any = None) -> str:
    """The event's id as 32 lowercase hex; the envelope's, else a new one when it has none."""
    for value in (event.get("event_id"), fallback):
        if isinstance(value, str):
            normalized = value.strip().replace("-", "").lower()
            if re.fullmatch(r"[0-9a-f]{32}", normalized):
                return normalized
    return new_event_id()


def to_report(event: Any, project_id: str, event_id: str) -> Report:
    if not isinstance(event, dict):
        raise errors.BadRequest("an event must be a JSON object")
    exceptions = _values(event.get("exception"))
    main = exceptions[-1] if exceptions else None
    if main is not None:
        error_type = _text(main.get("type")) or _text(main.get("value")) or "Error"
        message = _text(main.get("value"))
        frames = _frames(main.get("stacktrace"))
    else:
        error_type, message = _message(event)
        frames = _frames(event.get("stacktrace"))
        if not frames:  # capture_message with attach_stacktrace: the current thread's stack
            for thread in _values(event.get("threads")):
                frames = frames or _frames(thread.get("stacktrace"))
    file_path, line_number = _location(frames)
    if not clean_text(error_type).strip():
        error_type = "<unlabeled event>"  # only NULs or lone surrogates: nothing the report could keep

    release = _text(event.get("release"))
    payload = {
        "project_id": project_id,
        "source": "runtime",
        "level": LEVELS.get(str(event.get("level") or "error").lower(), "ERROR"),
        "environment": _text(event.get("environment")),
        "version": release,
        "commit_hash": _commit(release, event.get("tags")),
        "timestamp": _timestamp(event.get("timestamp")),
        "event_id": event_id,
        "error": {"type": error_type, "message": message, "file_path": file_path, "line_number": line_number,
                  "stack_trace": _stack_trace(exceptions, frames) or None},
        "context": {"sentry": _context(event, event_id, main)},
    }
    report = validate_report(payload)
    report.fingerprint_parts = _fingerprint(event.get("fingerprint"))
    return report


def _values(container: Any) -> list[dict[str, Any]]:
    """`{"values": [...]}` or, in older SDKs, the list itself."""
    if isinstance(container, dict):
        container = container.get("values")
    return [v for v in container if isinstance(v, dict)] if isinstance(container, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    value = str(value)
    return value if value.strip() else None


def _message(event: dict[str, Any]) -> tuple[str, str | None]:
    """A message event: the template groups (`Payment %s failed`), the formatted text is shown."""
    logentry = event.get("logentry")
    if not isinstance(logentry, dict):
        message = event.get("message")
        logentry = message if isinstance(message, dict) else {"formatted": message}
    template = _text(logentry.get("message"))
    formatted = _text(logentry.get("formatted"))
    if formatted is None and template is not None:
        params = logentry.get("params")
        formatted = template
        if isinstance(params, (list, dict)) and params:
            try:
                formatted = template % (tuple(params) if isinstance(params, list) else params)
            except (TypeError, ValueError, KeyError):
                formatted = template
    if template is None:
        template = formatted or _text(event.get("message")) or "<unlabeled event>"
    return template, formatted or template


def _frames(stacktrace: Any) -> list[dict[str, Any]]:
    if not isinstance(stacktrace, dict) or not isinstance(stacktrace.get("frames"), list):
        return []
    return [f for f in stacktrace["frames"] if isinstance(f, dict)]


def _location(frames: list[dict[str, Any]]) -> tuple[str | None, int | None]:
    """The innermost in-app frame, else the innermost frame (frames run outermost first)."""
    if not frames:
        return None, None
    frame = next((f for f in reversed(frames) if f.get("in_app") is True), frames[-1])
    path = _text(frame.get("filename")) or _text(frame.get("abs_path")) or _text(frame.get("module"))
    line = frame.get("lineno")
    if isinstance(line, bool) or not isinstance(line, int) or not 0 <= line <= limits.MAX_LINE_NUMBER:
        line = None
    return path, line


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    """A frame as stored: what a reader needs to find the line; `vars` (locals) never."""
    out: dict[str, Any] = {}
    for key, name in _FRAME_KEYS:
        value = frame.get(key)
        if key == "filename" and value is None:
            value = frame.get("abs_path") or frame.get("module")
        if value is not None and not isinstance(value, (dict, list)):
            out[name] = value
    if frame.get("abs_path") and frame.get("abs_path") != out.get("file"):
        out["abs_path"] = frame["abs_path"]
    for key in ("pre_context", "post_context"):
        lines = frame.get(key)
        if isinstance(lines, list) and lines:
            keep = lines[-limits.SENTRY_CONTEXT_LINES:] if key == "pre_context" else lines[:limits.SENTRY_CONTEXT_LINES]
            out[key] = [str(line) for line in keep]
    return out


def _stack_trace(exceptions: list[dict[str, Any]], main_frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The main exception's frames, innermost last. With chained exceptions (`raise … from`,
    an error while handling another) each exception, oldest first, is announced by an entry
    `{"exception": {"type", "value"}}` followed by its own frames."""
    if len(exceptions) <= 1:
        return [_frame(f) for f in main_frames]
    out: list[dict[str, Any]] = []
    for exc in exceptions:
        out.append({"exception": {"type": _text(exc.get("type")), "value": _text(exc.get("value"))}})
        out.extend(_frame(f) for f in _frames(exc.get("stacktrace")))
    return out


def _commit(release: str | None, tags: Any) -> str | None:
    """A commit sha in the release (`shop@9f2c1e0`, `9f2c1e0…`), else the `commit` tag."""
    if release:
        found = _SHA.search(release.strip().lower())
        if found:
            return found.group(1)
    commit = _tags(tags).get("commit")
    if isinstance(commit, str) and _HEX.match(commit.strip().lower()):
        return commit.strip().lower()
    return None


def _tags(tags: Any) -> dict[str, Any]:
    if isinstance(tags, dict):
        return tags
    if isinstance(tags, list):  # [[key, value], …]
        return {str(t[0]): t[1] for t in tags if isinstance(t, list) and len(t) == 2}
    return {}


def _timestamp(value: Any) -> str | None:
    """RFC 3339 text, or seconds since the epoch (both are valid in events); else none: an
    SDK's odd clock never costs the event (the native route would answer 422)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", text):
            text += "Z"  # Sentry reads a time without an offset as UTC
        try:
            parse_iso(text)  # the native rule: a time the report would refuse is dropped here
        except (ValueError, OverflowError):
            return None
        return text
    return None


def _context(event: dict[str, Any], event_id: str, main: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"event_id": event_id}
    for key in ("platform", "server_name", "transaction", "logger"):
        value = _text(event.get(key))
        if value is not None:
            out[key] = value
    sdk = event.get("sdk")
    if isinstance(sdk, dict):
        out["sdk"] = {k: sdk[k] for k in ("name", "version") if isinstance(sdk.get(k), str)}
    tags = _tags(event.get("tags"))
    if tags:
        out["tags"] = {str(k): v for k, v in tags.items()}
    user = event.get("user")
    if isinstance(user, dict) and user.get("id") is not None and not isinstance(user["id"], (dict, list)):
        out["user"] = {"id": str(user["id"])}
    request = event.get("request")
    if isinstance(request, dict):
        req = {"url": scrub_url(_text(request.get("url"))), "method": _text(request.get("method"))}
        req = {k: v for k, v in req.items() if v is not None}
        if req:
            out["request"] = req
    contexts = event.get("contexts")
    if isinstance(contexts, dict):
        kept = {k: contexts[k] for k in _CONTEXTS if isinstance(contexts.get(k), dict)}
        if kept:
            out["contexts"] = kept
    crumbs = _values(event.get("breadcrumbs"))
    if crumbs:
        out["breadcrumbs"] = crumbs[-limits.SENTRY_MAX_BREADCRUMBS:]
    extra = event.get("extra")
    if isinstance(extra, dict) and extra:
        out["extra"] = extra
    if main is not None and isinstance(main.get("mechanism"), dict):
        mechanism = main["mechanism"]
        out["mechanism"] = {k: mechanism[k] for k in ("type", "handled") if k in mechanism}
    return scrub(out)


def _fingerprint(value: Any) -> list[str] | None:
    """The event's own grouping, `{{ default }}` (any spacing) normalized; None: the default rule."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise errors.ValidationFailed("invalid fingerprint", [errors.field_error(
            "fingerprint", "must be a non-empty list of strings")])
    if len(value) > limits.SENTRY_MAX_FINGERPRINT_PARTS:
        raise errors.ValidationFailed("invalid fingerprint", [errors.field_error(
            "fingerprint", f"must have at most {limits.SENTRY_MAX_FINGERPRINT_PARTS} parts")])
    parts = []
    for part in value:
        if isinstance(part, (dict, list)) or part is None:
            raise errors.ValidationFailed("invalid fingerprint", [errors.field_error(
                "fingerprint", "must be a list of strings")])
        text = str(part).replace("\x00", "")
        parts.append(DEFAULT_PART if _DEFAULT.match(text.strip()) else text[:limits.SENTRY_MAX_FINGERPRINT_PART])
    return None if parts == [DEFAULT_PART] else parts
