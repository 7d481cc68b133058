"""The DSN key of a request, and whether it is this project's (develop.sentry.dev,
"Authentication"): the `sentry_key` query parameter (browsers, which cannot send custom
headers without a preflight), else `X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7, …`
(or the same in `Authorization`), else the `dsn` in the envelope's header."""

from __future__ import annotations

import hmac
import re
from typing import Any
from urllib.parse import urlsplit

import flask

from shared.db import driver
from shared.http import errors

_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*([^,\s]*)\s*,?")
_PROJECT = "SELECT project_id, public_key FROM project WHERE id = :id"
# Compared against when the project does not exist, so an unknown id costs the same time.
_NO_KEY = "0" * 32


def _from_auth_header(value: str) -> str | None:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "sentry":
        return None
    pairs = dict((k.lower(), v) for k, v in _PAIR.findall(rest))
    return pairs.get("sentry_key") or None


def presented_key(request: flask.Request) -> str | None:
    """The key from the query string or the headers; None when neither has one."""
    key = request.args.get("sentry_key")
    if key:
        return key.strip()
    for header in ("X-Sentry-Auth", "Authorization"):
        found = _from_auth_header(request.headers.get(header, ""))
        if found:
            return found
    return None


def key_from_dsn(dsn: Any) -> str | None:
    """The public key of a DSN (`https://<key>@host/<id>`), if it is one."""
    if not isinstance(dsn, str):
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


def check_key(sentry_id: int, key: str | None) -> str:
    """The project_id whose DSN this is; 401 without a key, 403 for another project's key or
    an unknown project (one answer for both: a key tells nobody which projects exist)."""
    if key is None:
        exc = errors.Unauthorized("no DSN key: send sentry_key in the query string or an X-Sentry-Auth header")
        exc.headers = {"WWW-Authenticate": "Sentry"}
        raise exc
    # One read per envelope, no cache: a rotated key is refused at once by every instance.
    row = driver.query(_PROJECT, {"id": sentry_id}).first()
    expected = row.public_key if row is not None else _NO_KEY
    matches = hmac.compare_digest(key.encode("utf-8"), expected.encode("utf-8"))
    if row is None or not matches:
        raise errors.Forbidden(f"this key is not the DSN key of project {sentry_id}")
    return row.project_id
