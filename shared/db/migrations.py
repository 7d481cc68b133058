"""Creating the schema and upgrading older ones in place, idempotently.

Runs only when `logcenter_meta.schema_version` is missing or old (shared/db/engine.py checks that
with one query on every cold start), under a PostgreSQL advisory lock so that several
pods starting at once upgrade once.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, delete, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from shared.core.commits import as_sha, sha_key
from shared.core.fingerprint import fingerprint
from shared.db.counters import recount
from shared.db.models import Base, ErrorLog, SchemaMeta
from shared.db.schema import SCHEMA_VERSION, schema_is_current, stored_version
from shared.timeutil import utcnow

log = logging.getLogger("logcenter.db")

_MIGRATION_LOCK_KEY = 4_242_001


# Where a pre-extension table kept its times: the first one present fills the new column.
_TIME_SOURCES = {
    "first_seen_at": ("first_seen", "created_at", "timestamp"),
    "last_seen_at": ("last_seen", "updated_at", "created_at", "timestamp"),
}


def _time_source(target: str, old_columns) -> str | None:
    return next((c for c in _TIME_SOURCES.get(target, ()) if c in old_columns), None)


def init_db(engine: Engine) -> None:
    """Create missing tables and upgrade an older `errorlog` in place; safe to run again.

    A database already at SCHEMA_VERSION costs one query: every cold start of every
    function passes through here, and catalog inspection took longer than the request."""
    if schema_is_current(engine):
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        insp = inspect(conn)
        had_errorlog = insp.has_table("errorlog")
        previous = stored_version(conn) if had_errorlog else None
        existed = {t.name for t in Base.metadata.sorted_tables if insp.has_table(t.name)}
        upgraded = had_errorlog and _upgrade_errorlog(conn)
        for table in Base.metadata.sorted_tables:
            if table.name in existed and table.name != "errorlog":
                _add_missing_columns(conn, table, {c["name"] for c in insp.get_columns(table.name)})
        counts_existed = "errorlog_counts" in existed
        releases_existed = "release" in existed
        Base.metadata.create_all(conn)
        _ensure_indexes(conn)
        if previous is not None and previous < 4:
            _rekey_fingerprints(conn)
            upgraded = True  # counter buckets follow the fingerprint
        if upgraded or not counts_existed:
            # Counters for rows written by code that did not keep them.
            recount(conn)
        if had_errorlog and not releases_existed:
            _backfill_releases(conn)
        if conn.dialect.name == "postgresql":
            _tune_search_statistics(conn, analyze=had_errorlog and (previous is None or previous < 10))
        conn.execute(delete(SchemaMeta).where(SchemaMeta.name == "schema_version"))
        conn.execute(insert(SchemaMeta).values(name="schema_version", value=SCHEMA_VERSION))


def _add_missing_columns(conn: Connection, table, present: set[str]) -> list[str]:
    """ALTER TABLE … ADD COLUMN for every model column the table lacks (nullable, or with its
    server default): a column added in a later schema version reaches older databases."""
    added = []
    for column in table.columns:
        if column.name in present:
            continue
        ddl_type = column.type.compile(conn.dialect)
        if column.computed is not None:
            # SQLite adds only VIRTUAL generated columns to an existing table; PostgreSQL
            # (before 18) only STORED ones. Either way the database keeps it current.
            kind = "STORED" if conn.dialect.name == "postgresql" else "VIRTUAL"
            clause = f" GENERATED ALWAYS AS ({column.computed.sqltext}) {kind}"
        elif column.server_default is not None:
            clause = f" DEFAULT '{column.server_default.arg}'"
        else:
            clause = ""
        exists = " IF NOT EXISTS" if conn.dialect.name == "postgresql" else ""
        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN{exists} {column.name} {ddl_type}{clause}"))
        added.append(column.name)
    if added:
        log.warning("upgrading table %s: added %s", table.name, added)
    return added


def _upgrade_errorlog(conn: Connection) -> bool:
    """Bring `errorlog` to the model's shape. True when it was a pre-extension table (no
    `source`): its rows then need times, sources and fingerprints filled in."""
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
        _add_missing_columns(conn, ErrorLog.__table__, set(columns))
        for name in not_null:
            conn.execute(text(f'ALTER TABLE errorlog ALTER COLUMN "{name}" DROP NOT NULL'))
        if "fingerprint" in columns and conn.dialect.name == "postgresql" and "source" not in columns:
            conn.execute(text("ALTER TABLE errorlog ALTER COLUMN fingerprint TYPE VARCHAR(64)"))
    if "source" in columns:
        return False  # written by this code at an older schema: nothing to fill in
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
        if column.computed is not None:
            continue  # the database fills it
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


def _rekey_fingerprints(conn: Connection) -> None:
    """Rows written before schema 4 carry fingerprints of the `|`-joined encoding: give each
    the JSON-array fingerprint its next report will compute, so it lands on its own row.
    A row whose new key another row already holds keeps its old key (it cannot be reached
    by new reports, but loses nothing)."""
    table = ErrorLog.__table__
    rows = conn.execute(select(table.c.id, table.c.source, table.c.project_id, table.c.error_type,
                               table.c.file_path, table.c.line_number, table.c.context,
                               table.c.fingerprint)).all()
    taken = {r.fingerprint for r in rows}
    changes = []
    for row in rows:
        context = row.context if isinstance(row.context, dict) else {}
        new = fingerprint(row.source or "runtime", row.project_id, row.error_type, row.file_path,
                          row.line_number, context)
        if new != row.fingerprint and new not in taken:
            changes.append((row.id, new))
            taken.add(new)
    log.warning("re-keying %d of %d bugs to the JSON-array fingerprint", len(changes), len(rows))
    for start in range(0, len(changes), _REKEY_BATCH):
        _update_fingerprints(conn, changes[start:start + _REKEY_BATCH])


_REKEY_BATCH = 500


def _update_fingerprints(conn: Connection, changes: list[tuple[int, str]]) -> None:
    """One statement per batch instead of one per row (a million rows would take minutes)."""
    values = ", ".join(f"(CAST(:i{n} AS INTEGER), CAST(:f{n} AS VARCHAR(64)))" for n in range(len(changes)))
    params = {}
    for n, (row_id, new) in enumerate(changes):
        params[f"i{n}"], params[f"f{n}"] = row_id, new
    conn.execute(text(f"WITH v(id, fp) AS (VALUES {values}) "
                      "UPDATE errorlog SET fingerprint = (SELECT fp FROM v WHERE v.id = errorlog.id) "
                      "WHERE id IN (SELECT id FROM v)"), params)


def _ensure_indexes(conn: Connection) -> None:
    """create_all skips indexes of tables that already existed; add any that are missing."""
    insp = inspect(conn)
    for table in Base.metadata.sorted_tables:
        existing = {i["name"] for i in insp.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in existing:
                index.create(conn, checkfirst=True)
        if table.name == "errorlog" and conn.dialect.name == "postgresql" and _SEARCH_INDEX not in existing:
            _ensure_search_index(conn)


_SEARCH_INDEX = "ix_errorlog_search_text_trgm"


def _ensure_search_index(conn: Connection) -> None:
    """Trigram index for the `q` search (LIKE '%…%' on search_text); without pg_trgm, search
    still works, slower. Schema 6 and older indexed the two raw columns: that one goes."""
    conn.execute(text("DROP INDEX IF EXISTS ix_errorlog_search_trgm"))
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {_SEARCH_INDEX} ON errorlog "
                              "USING gin (search_text gin_trgm_ops)"))
    except DBAPIError as exc:
        log.warning("no trigram index for text search (pg_trgm unavailable: %s); searches scan the table",
                    type(exc.orig).__name__)


# How many entries ANALYZE keeps for search_text (PostgreSQL's default is 100). The planner
# guesses how many rows a `LIKE '%term%'` matches by trying the pattern on these entries; with
# 100 a term matching 0.4 % of the bugs (4,288 of 1M) was guessed at 100 rows, so its page
# was planned as "fetch every match and sort" (4,089 heap pages, 41 ms from the OS cache)
# instead of walking last_seen_at backwards until a page is full (docs/benchmarks.md).
SEARCH_STATISTICS = 1000


def _tune_search_statistics(conn: Connection, analyze: bool) -> None:
    """Set search_text's statistics target; an upgraded table is analyzed at once (that one
    column: about a second at 1M bugs) instead of waiting for autovacuum."""
    conn.execute(text(f"ALTER TABLE errorlog ALTER COLUMN search_text SET STATISTICS {SEARCH_STATISTICS}"))
    if analyze:
        conn.execute(text("ANALYZE errorlog (search_text)"))


# A kept bug's release: the version of its first report (first_version, schema 5 on), else
# the version of its latest report (older rows), else its commit (CI failures carry no version).
_RELEASE_KEY = "COALESCE(e.first_version, e.version, e.commit_hash)"


def _backfill_releases(conn: Connection) -> None:
    """Releases for the bugs a database already holds (schema 9 added them), set-based so a
    million bugs take seconds: every bug counts in its release as what it was when created —
    a CI failure, a deployment error or a new runtime bug (shared/releases/track.py).
    Regressions are not backfilled: which report reopened a bug, and with which version, was
    never kept. Releases are matched by exact version here; sha prefixes join up from the
    next report on."""
    now = utcnow()
    conn.execute(text(f"""
        INSERT INTO release (project_id, version, first_seen_at, last_seen_at,
                             cicd_failures, deployment_errors, new_runtime_bugs, regressions, deploys)
        SELECT e.project_id, {_RELEASE_KEY}, COALESCE(MIN(e.first_seen_at), :now),
               COALESCE(MAX(e.last_seen_at), :now), 0, 0, 0, 0, 0
        FROM errorlog e WHERE {_RELEASE_KEY} IS NOT NULL GROUP BY e.project_id, {_RELEASE_KEY}"""), {"now": now})
    shas = [{"id": r.id, "sha": as_sha(r.version), "key": sha_key(as_sha(r.version))}
            for r in conn.execute(text("SELECT id, version FROM release")) if as_sha(r.version)]
    if shas:
        conn.execute(text("UPDATE release SET commit_sha = :sha, sha_key = :key WHERE id = :id"), shas)
    conn.execute(text(f"""
        INSERT INTO release_bug (release_id, kind, environment, bug_id, created_at)
        SELECT r.id,
               CASE e.source WHEN 'cicd' THEN 'cicd_failure' WHEN 'deployment' THEN 'deployment_error'
                             ELSE 'new_runtime_bug' END,
               CASE WHEN e.source = 'cicd' THEN '' ELSE COALESCE(e.environment, '') END,
               e.id, COALESCE(e.first_seen_at, :now)
        FROM errorlog e JOIN release r ON r.project_id = e.project_id AND r.version = {_RELEASE_KEY}"""),
                 {"now": now})
    for kind, column in (("cicd_failure", "cicd_failures"), ("deployment_error", "deployment_errors"),
                         ("new_runtime_bug", "new_runtime_bugs")):
        conn.execute(text(f"UPDATE release SET {column} = (SELECT count(*) FROM release_bug b "
                          f"WHERE b.release_id = release.id AND b.kind = '{kind}')"))
    conn.execute(text("""
        INSERT INTO release_environment (release_id, environment, project_id, first_seen_at, last_seen_at,
                                         deployment_errors, new_runtime_bugs, regressions, deploys)
        SELECT b.release_id, b.environment, r.project_id, MIN(b.created_at), MAX(b.created_at),
               SUM(CASE WHEN b.kind = 'deployment_error' THEN 1 ELSE 0 END),
               SUM(CASE WHEN b.kind = 'new_runtime_bug' THEN 1 ELSE 0 END), 0, 0
        FROM release_bug b JOIN release r ON r.id = b.release_id
        WHERE b.kind <> 'cicd_failure' GROUP BY b.release_id, b.environment, r.project_id"""))
    log.warning("backfilled releases for the bugs already stored")
