"""Splitting a Sentry envelope into its items (develop.sentry.dev, "Envelopes").

    {"event_id": "…", "dsn": "…"}\n          the envelope header (may be {})
    {"type": "event", "length": 41}\n       an item header: with `length`, exactly that
    {"message": "hello", "level": "info"}\n  many bytes of payload follow (then an optional \n);
    {"type": "session"}\n                    without it, the payload runs to the next \n
    {"started": "…"}\n

Every item is returned whatever its type: the caller picks the types it understands and
skips the rest, so types invented after this was written never break an SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.http import errors
from shared.http.body import parse_json


@dataclass
class Item:
    type: str
    headers: dict[str, Any]
    payload: bytes


@dataclass
class Envelope:
    headers: dict[str, Any]
    items: list[Item]


def _malformed(message: str) -> errors.BadRequest:
    exc = errors.BadRequest(f"malformed envelope: {message}")
    exc.code = "invalid_envelope"
    return exc


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_json(line)
    except errors.ApiError as exc:
        raise _malformed(f"{what} is not JSON ({exc.message})") from None
    if not isinstance(value, dict):
        raise _malformed(f"{what} must be a JSON object")
    return value


def parse_header(data: bytes) -> dict[str, Any]:
    """Only the envelope header (where a DSN may be): cheap, before the key is known."""
    end = data.find(b"\n")
    return _json_line(data if end < 0 else data[:end], "the envelope header")


def parse(data: bytes) -> Envelope:
    end = data.find(b"\n")
    if end < 0:
        end = len(data)
    headers = _json_line(data[:end], "the envelope header")
    items: list[Item] = []
    pos, size = end + 1, len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        if end < 0:
            end = size
        line = data[pos:end]
        pos = end + 1
        if not line.strip():
            continue  # a blank line between items, or the trailing newline
        number = len(items) + 1
        header = _json_line(line, f"item {number}'s header")
        kind = header.get("type")
        if not isinstance(kind, str) or not kind:
            raise _malformed(f"item {number}'s header has no type")
        length = header.get("length")
        if length is None:
            end = data.find(b"\n", pos)
            if end < 0:
                end = size
            payload, pos = data[pos:end], end + 1
        else:
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise _malformed(f"item {number}'s length must be a non-negative integer")
            if pos + length > size:
                raise _malformed(f"item {number} is shorter than its length {length}")
            payload = data[pos:pos + length]
            pos += length
            if data[pos:pos + 1] == b"\n":
                pos += 1
        items.append(Item(kind, header, payload))
    return Envelope(headers, items)
