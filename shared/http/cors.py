"""Cross-origin answers for the dashboard when it is served from another origin."""

from __future__ import annotations

import flask

from shared.settings import Settings


def with_cors(response: flask.Response, request: flask.Request, settings: Settings | None) -> flask.Response:
    origins = settings.cors_origins if settings else ()
    origin = request.headers.get("Origin")
    if not origin or not origins:
        return response
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    else:
        return response
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Content-Encoding, X-Log-Center-Token"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def allow_any_origin(response: flask.Response, request: flask.Request) -> flask.Response:
    """For the Sentry ingest routes only: a browser SDK posts from the app's own origin, and a
    DSN key is public by design, so any origin may send (DESIGN.md). The rate-limit headers
    are exposed so the browser SDK can read them and back off."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.pop("Vary", None)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = (
        request.headers.get("Access-Control-Request-Headers")
        or "Content-Type, Content-Encoding, X-Sentry-Auth, Authorization, sentry-trace, baggage")
    response.headers["Access-Control-Expose-Headers"] = "X-Sentry-Rate-Limits, Retry-After"
    response.headers["Access-Control-Max-Age"] = "600"
    return response
