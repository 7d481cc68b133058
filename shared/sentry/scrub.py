"""Values under secret-looking keys become "[Filtered]", as Sentry's server-side scrubber does.

SDKs scrub on their side too (Python's `send_default_pii=False`), but not every SDK, not
every version and not every custom field: the server is the last place a password in
`extra` or a breadcrumb can be stopped before it is stored and shown on the dashboard.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shared.core import limits

FILTERED = "[Filtered]"
_SECRET_KEY = re.compile(
    r"password|passwd|secret|token|api[-_ ]?key|apikey|authorization|cookie|session|credit[-_ ]?card"
    r"|card[-_ ]?number|private[-_ ]?key",
    re.IGNORECASE)


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _secret_key(key)


@functools.lru_cache(maxsize=4096)  # the same few dozen keys in every event; bounded for the rest
def _secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON value with secret-looking keys' values filtered, nested no deeper
    than SENTRY_MAX_CONTEXT_DEPTH (deeper values become "[…]")."""
    if isinstance(value, dict):
        if depth >= limits.SENTRY_MAX_CONTEXT_DEPTH:
            return "[…]"
        return {str(k): FILTERED if is_secret_key(str(k)) and v not in (None, "") else scrub(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list):
        if depth >= limits.SENTRY_MAX_CONTEXT_DEPTH:
            return "[…]"
        # [key, value] pairs (tags, headers as lists) are scrubbed like a mapping's entries.
        if len(value) == 2 and is_secret_key(value[0]):
            return [value[0], FILTERED]
        return [scrub(v, depth + 1) for v in value]
    return value


def scrub_url(url: Any) -> Any:
    """A URL with secret-looking query parameters filtered and any credentials removed."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, FILTERED if is_secret_key(k) else v) for k, v in pairs], safe="[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
