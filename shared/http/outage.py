"""Telling "the database is unavailable" (503, retry) from every other failure (500).

Matched by class name and module, never by importing the drivers or SQLAlchemy: every
function's cold start passes through the router, and the report function does not load
SQLAlchemy at all (shared/db/driver.py).
"""

from __future__ import annotations

# Words of a driver's message when the connection, not the statement, failed.
_CONNECTION_WORDS = ("connection", "network", "timed out", "timeout", "broken pipe", "terminating",
                     "shutting down", "starting up", "database is locked", "could not connect")


def _names(exc: BaseException) -> set[tuple[str, str]]:
    return {(k.__module__.split(".")[0], k.__name__) for k in type(exc).__mro__}


def is_database_error(exc: BaseException) -> bool:
    """Any error raised by the database layer (SQLAlchemy or a driver)."""
    return any(module in ("sqlalchemy", "pg8000", "sqlite3") for module, _ in _names(exc))


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away: the request may succeed later."""
    if isinstance(exc, ConnectionError):
        return True
    names = _names(exc)
    if ("sqlalchemy", "OperationalError") in names or ("sqlalchemy", "TimeoutError") in names:
        return True  # includes a pool that has no connection left to give
    if ("sqlalchemy", "DBAPIError") in names:
        if getattr(exc, "connection_invalidated", False):
            return True
        return _connection_words(getattr(exc, "orig", None))
    # A driver's own exception, unwrapped: pg8000's InterfaceError("network error"), a socket
    # timeout, sqlite3's OperationalError("database is locked"), or pg8000's DatabaseError
    # for a server shutting down (57P01 "terminating connection").
    if any(m in ("pg8000", "sqlite3") and n in ("InterfaceError", "OperationalError") for m, n in names):
        return True
    if ("pg8000", "DatabaseError") in names:
        return _connection_words(exc)
    return False


def _connection_words(exc: BaseException | None) -> bool:
    text = str(exc).lower() if exc is not None else ""
    return any(word in text for word in _CONNECTION_WORDS)
