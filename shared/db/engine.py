"""Engine and transaction ownership.

One engine per database URL per process: a warm function reuses its pooled
connections across invocations (`pool_pre_ping` drops the ones a database restart
killed). On first use a database not at SCHEMA_VERSION (shared/db/schema.py) is created
or upgraded (shared/db/migrations.py, imported only then).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url

from shared.db.schema import schema_is_current
from shared.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("logcenter.db")

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_WRITE = "logcenter_write"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below control transactions instead of pysqlite.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front: a deferred transaction that
        # reads first and writes later can fail with SQLITE_BUSY instead of waiting.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _memoize_pg8000_paramstyle() -> None:
    """pg8000 rewrites every statement's %s placeholders by scanning it char by char, on
    every execute: about 0.8 ms for the ingest upsert, a third of a report's CPU time. For
    the "format" style SQLAlchemy uses, the rewritten text depends on the text alone and the
    values pass through unchanged, so the result can be cached per statement text."""
    import pg8000.dbapi
    import pg8000.legacy

    original = pg8000.dbapi.convert_paramstyle
    if getattr(pg8000.legacy.convert_paramstyle, "logcenter_memoized", False):
        return

    @functools.lru_cache(maxsize=1024)
    def rewrite(query: str) -> str:
        return original("format", query, ())[0]

    def convert_paramstyle(style, query, args):
        if style == "format":
            return rewrite(query), args
        return original(style, query, args)

    convert_paramstyle.logcenter_memoized = True
    pg8000.legacy.convert_paramstyle = convert_paramstyle


def _create(url: str) -> Engine:
    settings = get_settings()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=True,
                               connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
    else:
        if parsed.get_driver_name() == "pg8000":
            _memoize_pg8000_paramstyle()
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size * 2,
            pool_timeout=settings.db_connect_timeout,
            # pg8000's timeout bounds connect and every socket read: a dead server gives an
            # error (mapped to 503) within seconds instead of a hung request.
            connect_args={"timeout": settings.db_connect_timeout * 2,
                          "application_name": "log-center"},
        )
    if not schema_is_current(engine):
        # Only a database that needs creating or upgrading pays for the ORM and inspection.
        from shared.db.migrations import init_db

        init_db(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    engine = _engines.get(url)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(url)
            if engine is None:
                engine = _create(url)
                _engines[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every pool, the ingest path's too (tests switch databases; a forked worker
    must not share sockets)."""
    from shared.db import driver

    driver.close_all()
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def check_database() -> None:
    """Readiness of a function that needs the database: one trivial query (raises if down)."""
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def write_options() -> dict[str, bool]:
    """Execution options of a transaction that will write (SQLite takes the lock at BEGIN)."""
    return {_WRITE: True}


@contextlib.contextmanager
def session_scope(write: bool = False) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any exception."""
    from sqlalchemy.orm import Session  # the report function never needs the ORM

    engine = get_engine()
    if write:
        engine = engine.execution_options(**write_options())
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
