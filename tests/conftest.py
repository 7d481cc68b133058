"""Shared fixtures.

- every test runs with a clean environment (no LOGCENTER_* / DATABASE_URL leaking in),
  fresh settings and no cached engines;
- `db_url` runs a test once on SQLite (a new file) and once on PostgreSQL (a database
  created for this run, emptied before each test). PostgreSQL being unreachable is an
  error, never a skip;
- `function_client("report")` is functions_framework.create_app(...).test_client();
- `live_gateway` is `python -m shared.gateway` on a free port, on SQLite by default.
"""

from __future__ import annotations

import os
from pathlib import Path

import functions_framework
import pytest

from shared.db.engine import dispose_engines
from shared.settings import reset_settings
from tests.support.databases import create_pg_database, drop_pg_database, truncate_all
from tests.support.gateway import LiveGateway

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_TARGETS = {"report": "report", "bugs": "bugs", "tasks": "tasks", "stats": "stats",
                    "pod_scanner": "pod_scanner", "retention": "retention",
                    "projects": "projects", "sentry": "sentry", "alerts": "alerts", "notify": "notify",
                    "releases": "releases"}


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("LOGCENTER_") and key != "LOGCENTER_TEST_DATABASE_URL" or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("LOGCENTER_SECRETS_DIR", "/nonexistent-secrets")
    reset_settings()
    dispose_engines()
    yield
    dispose_engines()
    reset_settings()


@pytest.fixture(scope="session")
def pg_url():
    url = create_pg_database()
    yield url
    dispose_engines()
    drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'logcenter.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        truncate_all(url)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    return url


@pytest.fixture
def function_client(db_url):
    """Factory: a test client for functions/<name>/main.py, loaded the way functions-framework does."""

    def make(name: str):
        source = ROOT / "functions" / name / "main.py"
        return functions_framework.create_app(FUNCTION_TARGETS[name], str(source)).test_client()

    return make


@pytest.fixture
def live_gateway(tmp_path):
    """Factory: start a gateway; `live_gateway()` uses a new SQLite file, or pass database_url/env."""
    started: list[LiveGateway] = []

    def start(database_url: str | None = None, env: dict[str, str] | None = None) -> LiveGateway:
        url = database_url or f"sqlite:///{tmp_path / f'gateway{len(started)}.db'}"
        gw = LiveGateway(url, env=env, log_path=tmp_path / f"gateway{len(started)}.log").start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()
