"""A pre-extension `errorlog` (no source column, NOT NULL file_path/line_number) is upgraded
in place on start-up, idempotently, keeping every row — on SQLite and PostgreSQL."""

from sqlalchemy import create_engine, inspect, text

from shared.core.fingerprint import fingerprint
from shared.db import migrations
from shared.db.engine import dispose_engines, get_engine
from tests.functions.conftest import cicd, runtime

LEGACY_DDL = """
CREATE TABLE errorlog (
    id {serial} PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    environment VARCHAR(64),
    level VARCHAR(10) NOT NULL,
    error_type VARCHAR(255) NOT NULL,
    error_message TEXT,
    file_path VARCHAR(1024) NOT NULL,
    line_number INTEGER NOT NULL,
    stack_trace TEXT,
    context TEXT,
    version VARCHAR(64),
    commit_hash VARCHAR(64),
    fingerprint VARCHAR(32) NOT NULL UNIQUE,
    status VARCHAR(20) NOT NULL,
    occurrence_count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
)
"""


def make_legacy(url: str) -> None:
    engine = create_engine(url)
    serial = "SERIAL" if url.startswith("postgresql") else "INTEGER"
    with engine.begin() as conn:
        for table in ("errorlog", "errorlog_counts", "errorlog_daily", "errorlog_status_history", "logcenter_meta"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text(LEGACY_DDL.format(serial=serial)))
        conn.execute(text("CREATE INDEX ix_errorlog_project_id ON errorlog (project_id)"))
        for i in range(3):
            conn.execute(text(
                "INSERT INTO errorlog (project_id, environment, level, error_type, error_message, file_path, "
                "line_number, stack_trace, context, fingerprint, status, occurrence_count, created_at) VALUES "
                "(:p, 'prod', 'ERROR', 'ValueError', :m, 'app/x.py', :l, 'Traceback (most recent call last): boom', '{\"k\": 1}', :fp, :s, :c, "
                "'2026-11-01 10:00:00')"),
                {"p": "legacy", "m": f"old {i}", "l": i, "fp": f"oldmd5{i:026d}", "s": "FIXED" if i == 2 else "NEW",
                 "c": 5 + i})
    engine.dispose()


def columns(url: str) -> dict:
    engine = create_engine(url)
    cols = {c["name"]: c for c in inspect(engine).get_columns("errorlog")}
    engine.dispose()
    return cols


def test_legacy_database_is_upgraded_in_place_twice(db_url, function_client):
    make_legacy(db_url)
    for _ in range(2):  # start-up twice: the second run must change nothing and break nothing
        dispose_engines()
        get_engine()
        cols = columns(db_url)
        assert "source" in cols and cols["file_path"]["nullable"] and cols["line_number"]["nullable"]
        idx = {i["name"] for i in inspect(get_engine()).get_indexes("errorlog")}
        assert "ix_errorlog_source" in idx

    bugs = function_client("bugs")
    listed = bugs.get("/api/v1/bugs?project_id=legacy&sort=id").get_json()
    assert listed["total"] == 3
    assert [b["error_message"] for b in listed["items"]] == ["old 0", "old 1", "old 2"]
    assert {b["source"] for b in listed["items"]} == {"runtime"}
    assert [b["occurrence_count"] for b in listed["items"]] == [5, 6, 7]
    assert listed["items"][0]["first_seen_at"].startswith("2026-11-01T10:00:00")
    detail = bugs.get(f"/api/v1/bugs/{listed['items'][0]['id']}").get_json()  # lists are summaries
    assert detail["stack_trace"] == "Traceback (most recent call last): boom"  # old plain text
    assert detail["context"] == {"k": 1}
    assert "created_at" in columns(db_url)  # columns only the old schema had are kept

    report = function_client("report")
    # An old bug reported again lands on its row (fingerprints were recomputed) ...
    again = report.post("/api/v1/logs/report", json=runtime(project="legacy", line=1)).get_json()
    assert again["id"] == listed["items"][1]["id"] and again["occurrence_count"] == 7
    assert again["fingerprint"] == fingerprint("runtime", "legacy", "ValueError", "app/x.py", 1)
    # ... a FIXED one reopens, and new sources without a file location are accepted.
    assert report.post("/api/v1/logs/report", json=runtime(project="legacy", line=2)).get_json()["status"] == "NEW"
    assert report.post("/api/v1/logs/report", json=cicd(project="legacy")).status_code == 201


def test_fresh_database_init_is_idempotent(db_url):
    get_engine()
    dispose_engines()
    get_engine()
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM errorlog")).scalar() == 0


def _old_fingerprint(*parts) -> str:
    """The encoding before schema 4: parts joined with `|`."""
    import hashlib

    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def test_schema_3_fingerprints_are_rekeyed_once_and_old_bugs_keep_their_rows(db_url, function_client):
    from tests.functions.conftest import deployment
    from tests.support.snapshot import counter_mismatches

    report = function_client("report")
    sent = {"runtime": runtime(project="old", line=7), "cicd": cicd(project="old"),
            "deployment": deployment(project="old")}
    ids = {k: report.post("/api/v1/logs/report", json=v).get_json()["id"] for k, v in sent.items()}
    old = {"runtime": _old_fingerprint("old", "ValueError", "app/x.py", 7),
           "cicd": _old_fingerprint("old", "cicd", "DockerBuildError", "build", "docker build"),
           "deployment": _old_fingerprint("old", "deployment", "CrashLoopBackOff", "prod", "api")}
    with get_engine().begin() as conn:  # make it the database schema 3 wrote
        for kind, fp in old.items():
            conn.execute(text("UPDATE errorlog SET fingerprint = :fp WHERE id = :id"), {"fp": fp, "id": ids[kind]})
        conn.execute(text("UPDATE logcenter_meta SET value = '3' WHERE name = 'schema_version'"))
    for _ in range(2):  # the second start-up finds schema 4 and changes nothing
        dispose_engines()
        get_engine()
        with get_engine().connect() as conn:
            stored = dict(conn.execute(text("SELECT id, fingerprint FROM errorlog")).all())
        assert stored[ids["runtime"]] == fingerprint("runtime", "old", "ValueError", "app/x.py", 7)
        assert not set(stored.values()) & set(old.values())
    for kind, payload in sent.items():
        again = report.post("/api/v1/logs/report", json=payload).get_json()
        assert again["id"] == ids[kind] and again["is_new"] is False
    assert counter_mismatches() == {}


def test_schema_4_gains_the_wave_two_tables_and_columns_keeping_every_row(db_url, function_client):
    report = function_client("report")
    bug_id = report.post("/api/v1/logs/report", json=runtime(project="w2")).get_json()["id"]
    with get_engine().begin() as conn:  # what schema 4 had: no occurrences, events, projects, first_version
        for table in ("occurrence", "ingest_event", "project"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("ALTER TABLE errorlog DROP COLUMN first_version"))
        conn.execute(text("UPDATE logcenter_meta SET value = '4' WHERE name = 'schema_version'"))
    for _ in range(2):
        dispose_engines()
        get_engine()
        assert "first_version" in columns(db_url)
        assert {"occurrence", "ingest_event", "project"} <= set(inspect(get_engine()).get_table_names())
    again = report.post("/api/v1/logs/report", json=runtime(project="w2", version="2.0")).get_json()
    assert again["id"] == bug_id and again["occurrence_count"] == 2
    detail = function_client("bugs").get(f"/api/v1/bugs/{bug_id}").get_json()
    assert detail["first_version"] is None  # unknown for a bug first seen before schema 5


def test_schema_6_gains_the_search_column_and_old_rows_are_searchable(db_url, function_client):
    report = function_client("report")
    bug_id = report.post("/api/v1/logs/report", json=runtime(project="s6", message="Quota Exceeded")).get_json()["id"]
    with get_engine().begin() as conn:  # what schema 6 had: no search_text
        if get_engine().dialect.name == "postgresql":
            conn.execute(text("DROP INDEX IF EXISTS ix_errorlog_search_text_trgm"))
            conn.execute(text("CREATE INDEX ix_errorlog_search_trgm ON errorlog "
                              "USING gin (error_type gin_trgm_ops, error_message gin_trgm_ops)"))
        conn.execute(text("ALTER TABLE errorlog DROP COLUMN search_text"))
        conn.execute(text("UPDATE logcenter_meta SET value = '6' WHERE name = 'schema_version'"))
    for _ in range(2):
        dispose_engines()
        get_engine()
        assert "search_text" in columns(db_url)
    if get_engine().dialect.name == "postgresql":
        names = {i["name"] for i in inspect(get_engine()).get_indexes("errorlog")}
        assert "ix_errorlog_search_text_trgm" in names and "ix_errorlog_search_trgm" not in names
    bugs = function_client("bugs")
    assert [b["id"] for b in bugs.get("/api/v1/bugs?q=quota exceeded").get_json()["items"]] == [bug_id]
    other = report.post("/api/v1/logs/report", json=runtime(project="s6", line=9, message="QUOTA again")).get_json()
    assert {b["id"] for b in bugs.get("/api/v1/bugs?q=Quota").get_json()["items"]} == {bug_id, other["id"]}


def test_schema_9_search_text_gets_its_finer_statistics_and_is_analyzed(db_url, function_client):
    report = function_client("report")
    for i in range(30):
        report.post("/api/v1/logs/report", json=runtime(project="s9", line=i, message=f"quota {i}"))
    if get_engine().dialect.name != "postgresql":
        return  # SQLite plans without per-column statistics targets; nothing to set
    target = "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'errorlog'::regclass AND attname = 'search_text'"
    analyzed = ("SELECT count(*) FROM pg_stats WHERE tablename = 'errorlog' AND attname = 'search_text' "
                "AND schemaname = current_schema()")
    with get_engine().begin() as conn:
        assert conn.execute(text(target)).scalar() == migrations.SEARCH_STATISTICS
        conn.execute(text("ALTER TABLE errorlog ALTER COLUMN search_text SET STATISTICS -1"))  # what schema 9 had
        conn.execute(text("UPDATE logcenter_meta SET value = '9' WHERE name = 'schema_version'"))
        # Forget any statistics an earlier test's ANALYZE left (the tests' role is a superuser).
        conn.execute(text("DELETE FROM pg_statistic WHERE starelid = 'errorlog'::regclass"))
        assert conn.execute(text(analyzed)).scalar() == 0
    dispose_engines()
    get_engine()
    with get_engine().begin() as conn:
        assert conn.execute(text(target)).scalar() == migrations.SEARCH_STATISTICS
        assert conn.execute(text(analyzed)).scalar() == 1
