"""Reading a request body: never more than the limit, inflated when encoded, strict JSON."""

from __future__ import annotations

import json
import math
import re
import zlib
from typing import Any

import flask

from shared.http import errors

_JSON_TYPE = re.compile(r"application/([a-z0-9.+-]*\+)?json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float | str:
    """A number too large for a double (`1e400`) parses to infinity, which no JSON can carry
    back out: a browser's JSON.parse rejects the `Infinity` Python would write. Keep such a
    number as the text the client sent; a field that must be a number then says so (422)."""
    value = float(literal)
    return value if math.isfinite(value) else literal


def read_body(request: flask.Request, limit: int) -> bytes:
    """The raw body, inflated if gzip/deflate encoded, never more than `limit` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise errors.PayloadTooLarge(f"the body is {length} bytes; the limit is {limit}")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise errors.PayloadTooLarge(f"the body is over the limit of {limit} bytes")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise errors.UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        # max_length bounds the work a zip bomb can make us do.
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise errors.BadRequest(f"the body is not valid {encoding}: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise errors.PayloadTooLarge(f"the inflated body is over the limit of {limit} bytes")
    return data


def read_json(request: flask.Request, limit: int) -> Any:
    mimetype = (request.mimetype or "").lower()
    if not _JSON_TYPE.fullmatch(mimetype):
        raise errors.UnsupportedMediaType("send Content-Type: application/json")
    return parse_json(read_body(request, limit))


def parse_json(raw: bytes) -> Any:
    """Strict JSON from bytes (UTF-8, no NaN/Infinity), or InvalidJson saying what is wrong."""
    if not raw.strip():
        raise errors.InvalidJson("the body is empty; a JSON object is expected")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.InvalidJson(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise errors.InvalidJson("the JSON is nested too deeply") from None
    except ValueError as exc:
        raise errors.InvalidJson(f"the body is not valid JSON: {exc}") from None
