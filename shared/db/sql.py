"""SQL text that runs on either kind of connection the code holds.

Ingest runs on the driver connections of shared/db/driver.py (no SQLAlchemy on that path);
the dashboard's functions, migrations and retention run on SQLAlchemy's. Code called from
both (counters, the alerts outbox, release counters) writes plain SQL with `:name`
parameters and goes through here: the driver takes the text as it is, SQLAlchemy gets it
as a cached `text()` clause, imported only then.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from shared.db import driver


@functools.lru_cache(maxsize=512)
def _text(sql: str) -> Any:
    from sqlalchemy import text

    return text(sql)


def execute(conn: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    if isinstance(conn, driver.Connection):
        return conn.execute(sql, params)
    return conn.execute(_text(sql), params or {})


@contextlib.contextmanager
def savepoint(conn: Any) -> Iterator[None]:
    """A nested transaction: what fails inside it is undone without ending the outer one."""
    if isinstance(conn, driver.Connection):
        with conn.savepoint():
            yield
    else:
        with conn.begin_nested():
            yield


def is_unique_violation(exc: BaseException) -> bool:
    """A UNIQUE / primary key conflict, from SQLAlchemy or either driver (matched by name:
    importing them here would load them on every cold start)."""
    names = {k.__name__ for k in type(exc).__mro__}
    if "IntegrityError" in names:
        return True
    args = getattr(exc, "args", ())
    return bool(args) and isinstance(args[0], dict) and args[0].get("C") == "23505"  # pg8000.native


def pool_key(conn: Any) -> object:
    """An object that stands for the database `conn` belongs to (a per-database cache key)."""
    return conn.pool if isinstance(conn, driver.Connection) else conn.engine.pool
