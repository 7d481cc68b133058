"""Routing a request to its handler, and every failure to the JSON error shape.

A function builds a Router, registers handlers for its DESIGN.md paths, and exposes
`router.dispatch` as its functions-framework entry point. Errors of any kind become the
JSON error shape here and nowhere else: the API's own (`errors.ApiError`), a database that
is unreachable (503 with Retry-After) and anything unexpected (a JSON 500, logged).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask

from shared.core.text import printable
from shared.http import errors
from shared.http.auth import authenticate
from shared.http.body import read_json
from shared.http.cors import with_cors
from shared.http.outage import is_database_error, is_unavailable
from shared.http.responses import error_response, json_response
from shared.settings import Settings, get_settings

log = logging.getLogger("logcenter.http")

_FUNCTION_PREFIX = re.compile(r"^/function/[A-Za-z0-9_.-]+")


@dataclass
class Call:
    """What a handler gets: the request, its path parameters and who made it."""

    request: flask.Request
    params: dict[str, str]
    actor: str
    settings: Settings

    def json(self) -> Any:
        return read_json(self.request, self.settings.max_body_bytes)

    def arg(self, name: str) -> str | None:
        value = self.request.args.get(name)
        return value if value not in (None, "") else None


Handler = Callable[[Call], "flask.Response | tuple[Any, int] | Any"]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: str | None


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/") or "/")
    return re.compile(regex)  # used with fullmatch: `$` would also match before a final \n


class Router:
    def __init__(self, name: str, ready: Callable[[], None]):
        """`ready` checks what the function needs before it can serve (raises if it cannot):
        for most functions `shared.db.engine.check_database`. Passed in, because the edge
        knows nothing of the database."""
        self.name = name
        self.routes: list[_Route] = []
        self.ready_check = ready
        _json_not_found_page()

    def route(self, method: str, *paths: str, auth: str | None = "api") -> Callable[[Handler], Handler]:
        """Register a handler; `auth` is "api", "ingest", "any" (either) or None (open)."""

        def register(handler: Handler) -> Handler:
            for path in paths:
                self.routes.append(_Route(method, _compile(path), handler, auth))
            return handler

        return register

    def dispatch(self, request: flask.Request) -> flask.Response:
        settings = None
        try:
            settings = get_settings()
            response = self._dispatch(request, settings)
        except errors.ApiError as exc:
            response = error_response(exc)
        except Exception as exc:
            if is_unavailable(exc):
                response = _unavailable(exc, settings)
            else:
                kind = "database error" if is_database_error(exc) else "unhandled error"
                log.exception("%s in %s %s", kind, request.method, printable(request.path))
                response = error_response(_internal())
        _skip_unbounded_drain(request, settings)
        return with_cors(response, request, settings)

    def _dispatch(self, request: flask.Request, settings: Settings) -> flask.Response:
        path = _FUNCTION_PREFIX.sub("", request.path, count=1).rstrip("/") or "/"
        if request.method == "OPTIONS":
            return flask.Response(status=204)
        if path == "/_/health":
            return json_response({"status": "ok", "function": self.name})
        if path == "/_/ready":
            return self._ready()
        allowed = []
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if not match:
                continue
            if route.method != request.method and not (request.method == "HEAD" and route.method == "GET"):
                allowed.append(route.method)
                continue
            actor = authenticate(request, settings, route.auth)
            result = route.handler(Call(request, match.groupdict(), actor, settings))
            return result if isinstance(result, flask.Response) else json_response(*_as_tuple(result))
        if allowed:
            raise errors.MethodNotAllowed(sorted(set(allowed)) + ["OPTIONS"])
        raise errors.NotFound(f"no route for {printable(request.path)}")

    def _ready(self) -> flask.Response:
        self.ready_check()
        return json_response({"status": "ready", "function": self.name})


def _skip_unbounded_drain(request: flask.Request, settings: Settings | None) -> None:
    """functions-framework reads the whole request body after every answer (its
    `read_request` after-request hook), before the answer is sent. For a body this function
    refused as too large, or never read, that is whatever the client declares or streams:
    a `Content-Length: 2000000000` would be read into memory, and a body that never arrives
    holds the answer back forever. Only a body known to be within the limit is left to it;
    otherwise the framework gets an empty body, and gunicorn discards the unread rest (without
    keeping it) before the connection's next request. `_cached_data` is where Werkzeug's
    `get_data()` keeps the body it read (tests/reliability/test_hostile_http.py pins it)."""
    limit = settings.max_body_bytes if settings else 1024 * 1024
    length = request.content_length
    if getattr(request, "_cached_data", None) is None and (length is None or length > limit):
        request._cached_data = b""


def _json_not_found_page() -> None:
    """Under functions-framework, Flask answers a path its `/<path:path>` rule cannot match
    (one holding %0A) with its HTML 404 before dispatch runs: give that the JSON shape too.
    functions-framework runs the function module inside the app context of the app it is
    creating and points `functions_framework.errorhandler` at that app; anywhere else (the
    gateway imports the modules while serving) this does nothing."""
    import functions_framework

    register = functions_framework.errorhandler
    if flask.has_app_context() and getattr(register, "__self__", None) is flask.current_app._get_current_object():
        register(404)(lambda _exc: error_response(errors.NotFound(f"no route for {printable(flask.request.path)}")))


def _as_tuple(result: Any) -> tuple[Any, int]:
    if isinstance(result, tuple):
        return result[0], result[1]
    return result, 200


def _internal() -> errors.ApiError:
    exc = errors.ApiError("internal error; the server log has details")
    exc.status, exc.code = 500, "internal_error"
    return exc


def _unavailable(exc: Exception, settings: Settings | None) -> flask.Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    retry = settings.retry_after_seconds if settings else 5
    return error_response(errors.ServiceUnavailable("the database is unavailable; retry later", retry))
