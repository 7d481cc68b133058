"""Engine and session ownership, and the idempotent schema upgrade.

One engine per database URL per process: a warm function reuses its pooled
connections across invocations (`pool_pre_ping` drops the ones a database restart
killed). `init_db()` runs once per engine, on first use.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, delete, event, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from shared.counters import recount
from shared.fingerprint import fingerprint
from shared.models import SCHEMA_VERSION, Base, ErrorLog, SchemaMeta
from shared.settings import get_settings
from shared.timeutil import utcnow

log = logging.getLogger("logcenter.db")

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Serialises concurrent upgrades of the same PostgreSQL database from several pods.
_MIGRATION_LOCK_KEY = 4_242_001
_WRITE = "logcenter_write"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
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

    def convert_paramstyle(style, query, args):  # noqa: ANN001, ANN202
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
    """Close every pool (tests switch databases; a forked worker must not share sockets)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def write_options() -> dict[str, bool]:
    """Execution options of a transaction that will write (SQLite takes the lock at BEGIN)."""
    return {_WRITE: True}


@contextlib.contextmanager
def session_scope(write: bool = False) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any exception."""
    engine = get_engine()
    if write:
        engine = engine.execution_options(**write_options())
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


# ----------------------------------------------------------------------------- upgrade

# Where a pre-extension table kept its times: the first one present fills the new column.
_TIME_SOURCES = {
    "first_seen_at": ("first_seen", "created_at", "timestamp"),
    "last_seen_at": ("last_seen", "updated_at", "created_at", "timestamp"),
}


def _time_source(target: str, old_columns) -> str | None:  # noqa: ANN001
    return next((c for c in _TIME_SOURCES.get(target, ()) if c in old_columns), None)


def _schema_version(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT value FROM logcenter_meta WHERE name = 'schema_version'")).scalar()
    except DBAPIError:
        return None  # no meta table yet: a new or a pre-extension database


def init_db(engine: Engine) -> None:
    """Create missing tables and upgrade an older `errorlog` in place; safe to run again.

    A database already at SCHEMA_VERSION costs one query: every cold start of every
    function passes through here, and catalog inspection took longer than the request."""
    with engine.connect() as conn:
        if _schema_version(conn) == SCHEMA_VERSION:
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        insp = inspect(conn)
        upgraded = insp.has_table("errorlog") and _upgrade_errorlog(conn)
        counts_existed = insp.has_table("errorlog_counts")
        Base.metadata.create_all(conn)
        _ensure_indexes(conn)
        if upgraded or not counts_existed:
            # Counters for rows written by code that did not keep them.
            recount(conn)
        conn.execute(delete(SchemaMeta).where(SchemaMeta.name == "schema_version"))
        conn.execute(insert(SchemaMeta).values(name="schema_version", value=SCHEMA_VERSION))


def _upgrade_errorlog(conn: Connection) -> bool:
    columns = {c["name"]: c for c in inspect(conn).get_columns("errorlog")}
    missing = [c for c in ErrorLog.__table__.columns if c.name not in columns]
    not_null = [name for name in ("file_path", "line_number") if name in columns and not columns[name]["nullable"]]
    # Old-only columns that demand a value would reject every insert of the new code.
    not_null += [name for name, info in columns.items() if name not in ErrorLog.__table__.columns
                 and not info["nullable"] and info.get("default") is None]
    if not missing and not not_null:
        return False
    log.warning("upgrading table errorlog: adding %s, dropping NOT NULL on %s",
                [c.name for c in missing] or "nothing", not_null or "nothing")
    if conn.dialect.name == "sqlite" and not_null:
        _rebuild_sqlite_errorlog(conn, columns)
    else:
        for column in missing:
            ddl_type = column.type.compile(conn.dialect)
            default = column.server_default.arg if column.server_default is not None else None
            clause = f" DEFAULT '{default}'" if default is not None else ""
            exists = " IF NOT EXISTS" if conn.dialect.name == "postgresql" else ""
            conn.execute(text(f"ALTER TABLE errorlog ADD COLUMN{exists} {column.name} {ddl_type}{clause}"))
        for name in not_null:
            conn.execute(text(f'ALTER TABLE errorlog ALTER COLUMN "{name}" DROP NOT NULL'))
        if "fingerprint" in columns and conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE errorlog ALTER COLUMN fingerprint TYPE VARCHAR(64)"))
    _backfill(conn, old_columns=set(columns))
    return True


def _rebuild_sqlite_errorlog(conn: Connection, columns: dict) -> None:
    """SQLite cannot drop NOT NULL in place: copy the rows into a table of the new shape."""
    for index in inspect(conn).get_indexes("errorlog"):
        if index.get("name"):
            conn.execute(text(f'DROP INDEX IF EXISTS "{index["name"]}"'))
    conn.execute(text("ALTER TABLE errorlog RENAME TO errorlog_pre_extension"))
    ErrorLog.__table__.create(conn)
    copied = []
    for column in ErrorLog.__table__.columns:
        if column.name not in columns:
            source = _time_source(column.name, columns)
            if source:
                copied.append((column.name, source))
            continue
        if column.server_default is not None:
            copied.append((column.name, f"COALESCE({column.name}, '{column.server_default.arg}')"))
        else:
            copied.append((column.name, column.name))
    # Columns only the old table had are kept as they were: an upgrade loses no data.
    for name, info in columns.items():
        if name not in ErrorLog.__table__.columns:
            conn.execute(text(f'ALTER TABLE errorlog ADD COLUMN "{name}" {info["type"].compile(conn.dialect)}'))
            copied.append((f'"{name}"', f'"{name}"'))
    names = ", ".join(n for n, _ in copied)
    exprs = ", ".join(e for _, e in copied)
    conn.execute(text(f"INSERT INTO errorlog ({names}) SELECT {exprs} FROM errorlog_pre_extension"))
    conn.execute(text("DROP TABLE errorlog_pre_extension"))


def _backfill(conn: Connection, old_columns: set[str]) -> None:
    """Give kept rows what the new code relies on: times, and fingerprints in the new form."""
    now = utcnow()
    for target in ("first_seen_at", "last_seen_at"):
        source = _time_source(target, old_columns)
        if target not in old_columns and source and conn.dialect.name == "postgresql":
            conn.execute(text(f"UPDATE errorlog SET {target} = {source} WHERE {target} IS NULL"))
    conn.execute(update(ErrorLog).where(ErrorLog.first_seen_at.is_(None)).values(first_seen_at=now))
    conn.execute(update(ErrorLog).where(ErrorLog.last_seen_at.is_(None)).values(last_seen_at=ErrorLog.first_seen_at))
    conn.execute(update(ErrorLog).where(ErrorLog.source.is_(None)).values(source="runtime"))
    # The old code's fingerprint hash is not ours; recompute so new reports of an old bug
    # land on it instead of creating a twin. Rows that would collide keep their old value.
    rows = conn.execute(select(ErrorLog.id, ErrorLog.project_id, ErrorLog.error_type,
                               ErrorLog.file_path, ErrorLog.line_number, ErrorLog.fingerprint)).all()
    taken = {r.fingerprint for r in rows}
    for row in rows:
        new = fingerprint("runtime", row.project_id, row.error_type, row.file_path, row.line_number)
        if new != row.fingerprint and new not in taken:
            conn.execute(update(ErrorLog).where(ErrorLog.id == row.id).values(fingerprint=new))
            taken.add(new)


def _ensure_indexes(conn: Connection) -> None:
    """create_all skips indexes of tables that already existed; add any that are missing."""
    existing = {i["name"] for i in inspect(conn).get_indexes("errorlog")}
    for index in ErrorLog.__table__.indexes:
        if index.name not in existing:
            index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql" and "ix_errorlog_search_trgm" not in existing:
        _ensure_search_index(conn)


def _ensure_search_index(conn: Connection) -> None:
    """Trigram index for the `q` search (ILIKE '%…%'); without pg_trgm, search still works, slower."""
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text("CREATE INDEX IF NOT EXISTS ix_errorlog_search_trgm ON errorlog "
                              "USING gin (error_type gin_trgm_ops, error_message gin_trgm_ops)"))
    except DBAPIError as exc:
        log.warning("no trigram index for text search (pg_trgm unavailable: %s); searches scan the table",
                    type(exc.orig).__name__)
