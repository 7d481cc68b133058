"""The JSON answers: every body a function returns and every error go through here."""

from __future__ import annotations

import json
import math
from typing import Any

import flask

from shared.http import errors


def dumps(body: Any) -> str:
    """Strict JSON, always: a non-finite number (NaN, Infinity) is not JSON, and one written
    out breaks every browser reading the page. Input never stores one (shared/http/body.py);
    should one come from elsewhere (a row written by older code), it goes out as a string."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(body), ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(exc: errors.ApiError) -> flask.Response:
    return json_response(exc.body(), exc.status, exc.headers)
