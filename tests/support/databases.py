"""Real databases for tests: a SQLite file per test, one fresh PostgreSQL database per run."""

from __future__ import annotations

import os
import uuid

import pg8000.native
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("LOGCENTER_TEST_DATABASE_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/test")


def _admin_connection() -> pg8000.native.Connection:
    url = make_url(ADMIN_URL)
    return pg8000.native.Connection(user=url.username or "postgres", password=url.password,
                                    host=url.host or "127.0.0.1", port=url.port or 5432,
                                    database=url.database or "postgres", timeout=10)


def create_pg_database(prefix: str = "logcenter_test") -> str:
    """Create an empty database and return its SQLAlchemy URL. Raises if PostgreSQL is down."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = _admin_connection()
    try:
        conn.run(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    conn = _admin_connection()
    try:
        conn.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def truncate_all(url: str) -> None:
    url_obj = make_url(url)
    conn = pg8000.native.Connection(user=url_obj.username or "postgres", password=url_obj.password,
                                    host=url_obj.host, port=url_obj.port or 5432, database=url_obj.database)
    try:
        tables = [r[0] for r in conn.run("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        if tables:
            conn.run("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    finally:
        conn.close()
