"""Which version of the schema a database holds.

Kept apart from the engine so that migrations can ask it without importing the engine
back: engine -> schema, engine -> migrations (lazily) -> schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the ingest hot path (shared/db/driver.py) reads only SCHEMA_VERSION
    from sqlalchemy import Engine
    from sqlalchemy.engine import Connection

# Bump when a table, column, index or stored encoding changes: init_db() then runs its
# checks once more, and the steps that depend on the version it upgrades from.
#   4: fingerprints encoded as a JSON array (shared/core/fingerprint.py), old rows re-keyed
#   5: occurrences, event ids, projects, errorlog.first_version
#   6: retention_run
#   7: errorlog.search_text (generated) and its trigram index replace the two-column one
#   8: alerts (alert_rule, alert_delivery, alert_throttle, alert_spike)
#   9: releases and deploys (release, release_environment, release_bug, deploy), backfilled
#  10: errorlog.search_text keeps a finer statistics sample on PostgreSQL (search plans)
SCHEMA_VERSION = "10"


def _schema_version(conn: Connection) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT value FROM logcenter_meta WHERE name = 'schema_version'")).scalar()
    except DBAPIError:
        return None  # no meta table yet: a new or a pre-extension database


def stored_version(conn: Connection) -> int | None:
    """The version a database holds as a number; None for a new or pre-extension database."""
    value = _schema_version(conn)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def schema_is_current(engine: Engine) -> bool:
    """One query: every cold start of every function passes through here."""
    with engine.connect() as conn:
        return _schema_version(conn) == SCHEMA_VERSION
