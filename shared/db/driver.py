"""The ingest hot path's own connections: the database drivers without SQLAlchemy.

The report and sentry functions write one statement (PostgreSQL) or a few (SQLite) per
batch of reports. SQLAlchemy's execution layer, its pool and its import cost more CPU than
those statements (docs/benchmarks.md, issue 17), so the hot path talks to `pg8000.native`
and `sqlite3` directly through this module. Everything else — the dashboard's functions,
migrations, retention — keeps SQLAlchemy (shared/db/engine.py).

- Statements use `:name` parameters, the style both drivers and SQLAlchemy's `text()`
  share, so the same SQL text (or a `text()` clause) runs here and there.
- One small pool per database URL per process; a connection that fails on BEGIN (the
  database restarted since it was pooled) is dropped with every idle one and BEGIN is tried
  once more on a new connection, as `pool_pre_ping` does for the engine.
- PostgreSQL statements are prepared once per connection and reused by text.
- The first connection to a URL checks the schema version (one query); a database that
  needs creating or upgrading is handed to the SQLAlchemy engine (migrations), imported
  only then.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from shared.db.schema import SCHEMA_VERSION
from shared.settings import get_settings

log = logging.getLogger("logcenter.db")

_SCHEMA_QUERY = "SELECT value FROM logcenter_meta WHERE name = 'schema_version'"


class Dialect:
    """What callers ask of SQLAlchemy's `conn.dialect`: its name."""

    def __init__(self, name: str):
        self.name = name


class Row(tuple):
    """A result row: by position, or by column name as an attribute (like SQLAlchemy's),
    including names a tuple already has (`count`, `index`)."""

    __slots__ = ()
    _names: dict[str, int] = {}

    def _asdict(self) -> dict[str, Any]:
        return {n: self[i] for n, i in self._names.items()}


@functools.lru_cache(maxsize=1024)
def _row_type(names: tuple[str, ...]) -> type[Row]:
    attrs: dict[str, Any] = {"__slots__": (), "_names": {n: i for i, n in enumerate(names)}}
    for i, name in enumerate(names):
        attrs[name] = property(operator.itemgetter(i))
    return type("Row", (Row,), attrs)


class Result:
    def __init__(self, rows: list[tuple], names: list[str], rowcount: int):
        kind = _row_type(tuple(names)) if names else Row
        self._rows = [kind(r) for r in rows]
        self.rowcount = rowcount

    def all(self) -> list[Row]:
        return self._rows

    fetchall = all

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


# Called with each statement's text before it runs (tests count a path's statements, as
# SQLAlchemy's before_cursor_execute event does for the engine). Empty in production.
STATEMENT_LISTENERS: list[Callable[[str], None]] = []


def _sql(statement: Any) -> str:
    return statement if isinstance(statement, str) else statement.text  # a SQLAlchemy text()


class Connection:
    """One driver connection; `execute` runs inside the transaction `transaction()` opened."""

    def __init__(self, raw: Any, dialect: str, pool: object | None = None):
        self.raw = raw
        self.dialect = Dialect(dialect)
        self.pool = pool  # the Pool it came from: stands for its database (shared/db/sql.pool_key)
        self._prepared: dict[str, Any] = {}
        self._savepoints = 0

    def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Result:
        sql = _sql(statement)
        params = params or {}
        for listener in STATEMENT_LISTENERS:
            listener(sql)
        if self.dialect.name == "postgresql":
            prepared = self._prepared.get(sql)
            if prepared is None:
                prepared = self.raw.prepare(sql)
                self._prepared[sql] = prepared
            rows = prepared.run(**params)  # parameters the statement does not name are ignored
            columns = prepared.columns
            names = [c["name"] for c in columns] if columns else []
            return Result(rows or [], names, prepared._context.row_count)
        cur = self.raw.execute(sql, params)
        names = [d[0] for d in cur.description] if cur.description else []
        return Result(cur.fetchall() if names else [], names, cur.rowcount)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside rolls back to here and propagates."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._run(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._run(f"ROLLBACK TO SAVEPOINT {name}")
            raise
        self._run(f"RELEASE SAVEPOINT {name}")

    def _run(self, sql: str) -> None:
        self.raw.run(sql) if self.dialect.name == "postgresql" else self.raw.execute(sql)

    def begin(self, write: bool) -> None:
        if self.dialect.name == "postgresql":
            self.raw.run("BEGIN")
        else:
            # A write takes SQLite's lock up front: a deferred transaction that reads first
            # and writes later can fail with SQLITE_BUSY instead of waiting.
            self.raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def commit(self) -> None:
        self._run("COMMIT")

    def rollback(self) -> None:
        self._run("ROLLBACK")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()


def _parse(url: str) -> tuple[str, dict[str, Any]]:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        path = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ":memory:"
        return "sqlite", {"path": path or ":memory:"}
    if scheme in ("postgresql", "postgres"):
        if parts.query:
            log.warning("database URL options (%s) are not used by the ingest connections", parts.query)
        return "postgresql", {"user": unquote(parts.username or "postgres"),
                              "password": unquote(parts.password) if parts.password else None,
                              "host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
                              "database": unquote(parts.path.lstrip("/")) or "postgres"}
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")


def _connect(dialect: str, args: dict[str, Any], pool: object) -> Connection:
    settings = get_settings()
    if dialect == "sqlite":
        path = args["path"]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA busy_timeout=30000")
        raw.execute("PRAGMA synchronous=NORMAL")
        return Connection(raw, "sqlite", pool)
    import pg8000.native  # imported on first use: a function that never writes never pays

    # The timeout bounds connect and every socket read: a dead server gives an error
    # (a 503) within seconds instead of a hung request.
    raw = pg8000.native.Connection(timeout=settings.db_connect_timeout * 2, application_name="log-center",
                                   **args)
    # pg8000 leaves Nagle's algorithm on. A batch statement larger than its 8 KiB write
    # buffer goes out as two writes, and the second waited for the server's delayed ACK:
    # 40 ms per batch of 16+ reports (measured), more than the statement itself.
    sock = getattr(raw, "_usock", None)
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(raw, "postgresql", pool)


class Pool:
    def __init__(self, url: str):
        self.url = url
        self.dialect, self._args = _parse(url)
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        settings = get_settings()
        # Every server thread may hold one connection at a time (a key check, or the batch it
        # leads), so that many is never more than are open at once anyway; keeping fewer made
        # each request past the pool size open a connection and close it again (a new socket,
        # startup and re-prepared statements: a fifth of the sentry function's time at 16
        # threads with a pool of 8, measured with py-spy).
        self._max_idle = max(settings.db_pool_size, settings.server_threads)
        self._checked = False

    def _new(self) -> Connection:
        conn = _connect(self.dialect, self._args, self)
        if not self._checked:
            self._ensure_schema(conn)
        return conn

    def _ensure_schema(self, conn: Connection) -> None:
        try:
            current = conn.execute(_SCHEMA_QUERY).scalar() == SCHEMA_VERSION
        except Exception:  # noqa: BLE001 - no meta table yet: a new or pre-extension database
            current = False
            with contextlib.suppress(Exception):
                conn.rollback()
        if not current:
            # Only a database that needs creating or upgrading pays for SQLAlchemy.
            from shared.db.engine import get_engine

            get_engine(self.url)
        self._checked = True

    def get(self) -> Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._new()

    def put(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def discard_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def query(self, statement: Any, params: dict[str, Any] | None = None) -> Result:
        """One read outside any transaction (the driver's autocommit): one round trip."""
        conn = self.get()
        try:
            result = conn.execute(statement, params)
        except Exception:  # noqa: BLE001 - a connection the database closed since it was pooled
            conn.close()
            self.discard_idle()
            conn = self._new()
            try:
                result = conn.execute(statement, params)
            except BaseException:
                conn.close()
                raise
        self.put(conn)
        return result

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Connection]:
        """Committed when the block ends, rolled back (and the connection dropped) if it raises."""
        conn = self.get()
        try:
            conn.begin(write)
        except Exception:  # noqa: BLE001 - a pooled connection the database closed meanwhile
            conn.close()
            self.discard_idle()
            conn = self._new()
            conn.begin(write)
        try:
            yield conn
            conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                conn.rollback()
            # Its state is unknown after a failure (a broken socket, a half-read answer).
            conn.close()
            raise
        self.put(conn)


_pools: dict[str, Pool] = {}
_pools_lock = threading.Lock()
_on_close: list[Callable[[], None]] = []


def get_pool(url: str | None = None) -> Pool:
    url = url or get_settings().database_url
    pool = _pools.get(url)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(url, Pool(url))
    return pool


def transaction(write: bool = True) -> contextlib.AbstractContextManager[Connection]:
    return get_pool().transaction(write)


def query(statement: Any, params: dict[str, Any] | None = None) -> Result:
    return get_pool().query(statement, params)


def on_close_all(callback: Callable[[], None]) -> None:
    """Run `callback` whenever every pool is closed (a writer drops its state with them)."""
    _on_close.append(callback)


def close_all() -> None:
    """Close every pool (tests switch databases; a forked worker must not share sockets)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.discard_idle()
    for callback in _on_close:
        callback()


def check_database() -> None:
    """Readiness of the report and sentry functions: one trivial query on a pooled connection."""
    query("SELECT 1")
