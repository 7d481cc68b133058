"""The two Sentry endpoints: `POST /api/{sentry_id}/envelope/` and `…/store/`.

Order of work: the key when the request carries one is checked before the body is read
(a wrong key costs one indexed lookup, not an inflate); otherwise the body is read and the
envelope header's `dsn` is the key. Every event of the request is validated before any
is stored, so a 4xx never leaves half an envelope counted. Each event then goes through
the native report's own `ingest`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import flask

from shared.core import limits
from shared.http import errors
from shared.http.body import parse_json
from shared.http.params import path_id
from shared.ingest.store import ingest
from shared.ingest.validation import Report
from shared.sentry import auth, envelope
from shared.sentry.decode import inflate, read_raw
from shared.sentry.event import event_id_of, to_report
from shared.sentry.ratelimit import WINDOW
from shared.settings import Settings

INGEST_PATH = re.compile(r"^(/function/[^/]+)?/api/[^/]+/(envelope|store)/?$")


def receive_envelope(request: flask.Request, sentry_id: str, settings: Settings) -> dict[str, Any]:
    number = path_id(sentry_id, "project")
    key = auth.presented_key(request)
    project_id = auth.check_key(number, key) if key is not None else None
    data = _body(request)
    if project_id is None:
        project_id = auth.check_key(number, auth.key_from_dsn(envelope.parse_header(data).get("dsn")))
    parsed = envelope.parse(data)
    header_id = parsed.headers.get("event_id")
    reports: list[Report] = []
    for number_in_envelope, item in enumerate(parsed.items, 1):
        if item.type != "event":
            continue  # transactions, sessions, attachments, replays, …: see docs/sentry.md
        if len(item.payload) > limits.SENTRY_MAX_EVENT:
            raise errors.PayloadTooLarge(f"item {number_in_envelope} (an event) is {len(item.payload)} bytes; "
                                         f"the limit is {limits.SENTRY_MAX_EVENT}")
        event = _event_json(item.payload, f"item {number_in_envelope} (an event)")
        reports.append(to_report(event, project_id, event_id_of(event, header_id)))
    _admit(project_id, len(reports), settings)
    for report in reports:
        ingest(report)
    if reports:
        return {"id": reports[0].event_id}
    return {"id": event_id_of({}, header_id) if header_id else None}


def receive_store(request: flask.Request, sentry_id: str, settings: Settings) -> dict[str, Any]:
    """The older endpoint: the body is one event (raw JSON, or base64 of zlib as old SDKs send)."""
    number = path_id(sentry_id, "project")
    project_id = auth.check_key(number, auth.presented_key(request))
    data = _body(request)
    if len(data) > limits.SENTRY_MAX_EVENT:
        raise errors.PayloadTooLarge(f"the event is {len(data)} bytes; the limit is {limits.SENTRY_MAX_EVENT}")
    if data.lstrip()[:1] not in (b"{", b""):
        data = _legacy_encoded(data)
    event = _event_json(data, "the event")
    report = to_report(event, project_id, event_id_of(event))
    _admit(project_id, 1, settings)
    ingest(report)
    return {"id": report.event_id}


def _body(request: flask.Request) -> bytes:
    raw = read_raw(request, limits.SENTRY_MAX_ENVELOPE)
    return inflate(raw, request.headers.get("Content-Encoding"), limits.SENTRY_MAX_ENVELOPE)


def _legacy_encoded(data: bytes) -> bytes:
    try:
        decoded = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidJson("the event is neither JSON nor base64-encoded zlib") from None
    return inflate(decoded, "deflate", limits.SENTRY_MAX_EVENT)


def _event_json(payload: bytes, what: str) -> dict[str, Any]:
    try:
        event = parse_json(payload)
    except errors.InvalidJson as exc:
        raise errors.InvalidJson(f"{what}: {exc.message}") from None
    if not isinstance(event, dict):
        raise errors.InvalidJson(f"{what} must be a JSON object")
    return event


def _admit(project_id: str, count: int, settings: Settings) -> None:
    wait = WINDOW.admit(project_id, settings.sentry_events_per_minute, count)
    if wait is not None:
        raise errors.TooManyRequests(
            f"project {project_id} is over {settings.sentry_events_per_minute} events per minute; "
            f"retry in {wait} s", wait, {"X-Sentry-Rate-Limits": f"{wait}:error;default:project"})


def is_ingest_path(path: str) -> bool:
    return INGEST_PATH.match(path) is not None
