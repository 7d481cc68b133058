"""Tokens: which one a request presents and whose it is (compared in constant time)."""

from __future__ import annotations

import hmac

import flask

from shared.http import errors
from shared.settings import Settings


def presented_token(request: flask.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.headers.get("X-Log-Center-Token", "").strip()
    return token or None


def authenticate(request: flask.Request, settings: Settings, kind: str | None) -> str:
    """The actor name for history rows; raises Unauthorized when a configured token is missing.
    `kind` "any" takes an API or an ingest token (notify: the cron holds the one, a report
    function poking it the other)."""
    if kind == "any":
        tokens = {**settings.ingest_tokens, **settings.api_tokens}
    else:
        tokens = {"api": settings.api_tokens, "ingest": settings.ingest_tokens}.get(kind or "", {})
    if not tokens:
        return "anonymous"
    presented = presented_token(request)
    if presented is None:
        raise errors.Unauthorized("this route needs a token (Authorization: Bearer …)")
    actor = None
    given = presented.encode("utf-8")
    for token, name in tokens.items():
        # compare_digest against every token: timing reveals neither match nor position.
        if hmac.compare_digest(given, token.encode("utf-8")):
            actor = name
    if actor is None:
        raise errors.Unauthorized("invalid token")
    return actor
