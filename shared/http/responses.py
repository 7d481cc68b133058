"""The JSON answers: every body a function returns and every error go through here."""

from __future__ import annotations

import json
from typing import Any

import flask

from shared.http import errors


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return flask.Response(data, status=status, headers=headers, mimetype="application/json")


def error_response(exc: errors.ApiError) -> flask.Response:
    return json_response(exc.body(), exc.status, exc.headers)
