"""The layering of `shared/` (its package docstring): imports only run downward.

Read from the source with `ast`, lazy imports inside functions included, so a rule broken
in a branch that tests never take still fails here.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
LEAVES = {"shared.settings", "shared.timeutil", "shared.core"}
EDGES = {"shared.http", "shared.db"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every `shared…` module a file imports, at any depth of the code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from shared.db import counters` imports the module shared.db.counters
            found.update(f"{node.module}.{a.name}" for a in node.names
                         if (SHARED.parent / node.module.replace(".", "/") / f"{a.name}.py").exists())
    return {m for m in found if m == "shared" or m.startswith("shared.")}


def _layer(module: str) -> str:
    """The unit the rules speak of: a leaf module, an edge package or a domain package."""
    parts = module.split(".")
    if len(parts) == 1:
        return module
    top = ".".join(parts[:2])
    return top


MODULES = {_module_name(p): p for p in sorted(SHARED.rglob("*.py"))}


def _is_leaf(layer: str) -> bool:
    return layer in LEAVES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_downward(module):
    mine = _layer(module)
    for imported in _imports(MODULES[module]):
        theirs = _layer(imported)
        if theirs in (mine, "shared"):
            continue
        assert theirs != "shared.gateway", f"{module} imports the gateway, which sits above everything"
        if _is_leaf(mine):
            assert _is_leaf(theirs), f"leaf {module} imports {imported}"
        elif mine in EDGES:
            assert _is_leaf(theirs), f"{module} ({mine} knows no domain and no other edge) imports {imported}"


def test_domains_import_each_other_without_cycles():
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        mine = _layer(module)
        if _is_leaf(mine) or mine in EDGES or mine in ("shared", "shared.gateway"):
            continue
        graph.setdefault(mine, set()).update(
            t for t in (_layer(i) for i in _imports(path))
            if t != mine and not _is_leaf(t) and t not in EDGES and t != "shared")
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if seen.get(node) == 1:
            raise AssertionError("import cycle between domains: " + " -> ".join(trail + [node]))
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        seen[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_engine_and_migrations_form_no_cycle():
    """migrations asks the schema module for the version, never the engine back."""
    assert "shared.db.engine" not in _imports(MODULES["shared.db.migrations"])
    assert "shared.db.migrations" not in _imports(MODULES["shared.db.schema"])


def test_report_function_never_loads_sqlalchemy_or_migrations(tmp_path):
    """The hot path and cold start of the report function (docs/benchmarks.md, issue 17):
    serving a report on a database already at the current schema loads neither SQLAlchemy
    (the driver connections of shared/db/driver.py carry it) nor the migrations (nor the
    scanner's kubernetes client)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'lc.db'}", "PATH": "/usr/bin:/bin",
           "LOGCENTER_SECRETS_DIR": "/nonexistent"}
    subprocess.run([sys.executable, "-c", "from shared.db.engine import get_engine; get_engine()"],
                   cwd=ROOT, env=env, check=True)
    code = (
        "import json, sys, functions_framework\n"
        "app = functions_framework.create_app('report', 'functions/report/main.py')\n"
        "r = app.test_client().post('/api/v1/logs/report', json={'project_id': 'p', 'error': {'type': 'E'}})\n"
        "assert r.status_code == 201, r.get_data()\n"
        "sentry = functions_framework.create_app('sentry', 'functions/sentry/main.py').test_client()\n"
        "r = sentry.post('/api/1/envelope/?sentry_key=' + '0' * 32, data=b'{}\\n')\n"
        "assert r.status_code == 403, r.get_data()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'shared.db.models',"
        " 'shared.db.migrations', 'kubernetes')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_alerts_never_imports_ingest():
    """ingest calls into alerts (the outbox hook and the poke) inside its transaction; the
    other way round would be a cycle."""
    for module, path in MODULES.items():
        if _layer(module) == "shared.alerts":
            assert not any(_layer(i) == "shared.ingest" for i in _imports(path)), module


def _all_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", ["shared.alerts.cache", "shared.alerts.outbox", "shared.alerts.poke"])
def test_the_alert_hot_path_stays_light(module):
    """What ingest loads for alerts: no ORM, no models, no `requests` (cold start, hot path)."""
    heavy = {m for m in _all_imports(MODULES[module])
             if m.startswith(("sqlalchemy.orm", "shared.db.models", "shared.db.migrations", "requests"))}
    assert heavy == set()
    assert {i for i in _imports(MODULES[module]) if i.startswith("shared.")} <= {
        "shared.alerts.cache", "shared.core.vocabulary", "shared.settings", "shared.db", "shared.db.sql"}
# shared/sentry: everything but `projects` is on the sentry function's hot path.
SENTRY_HOT = sorted(m for m in MODULES if m.startswith("shared.sentry") and m != "shared.sentry.projects")


@pytest.mark.parametrize("module", SENTRY_HOT)
def test_the_sentry_hot_path_never_imports_the_orm(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.startswith(("sqlalchemy.orm", "shared.db.models", "shared.bugs"))}, module
    assert "shared.sentry.projects" not in _imports(MODULES[module])


def test_sentry_function_never_loads_the_orm_or_migrations(tmp_path):
    """Like the report function: an envelope on a database at the current schema loads
    neither the ORM nor the migrations."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'lc.db'}", "PATH": "/usr/bin:/bin",
           "LOGCENTER_SECRETS_DIR": "/nonexistent"}
    setup = ("from shared.db.engine import get_engine\n"
             "from sqlalchemy import text\n"
             "with get_engine().begin() as c:\n"
             "    c.execute(text(\"INSERT INTO project (id, project_id, public_key, created_at) "
             "VALUES (1, 'p', '" + "a" * 32 + "', '2026-01-01 00:00:00')\"))\n")
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True)
    code = (
        "import json, sys, functions_framework\n"
        "app = functions_framework.create_app('sentry', 'functions/sentry/main.py')\n"
        "body = b'{}\\n{\"type\":\"event\"}\\n{\"message\":\"hi\"}\\n'\n"
        "r = app.test_client().post('/api/1/envelope/?sentry_key=" + "a" * 32 + "', data=body)\n"
        "assert r.status_code == 200, r.get_data()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('sqlalchemy.orm', 'shared.db.models',"
        " 'shared.db.migrations', 'kubernetes', 'brotli')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
def test_releases_import_neither_ingest_nor_bugs():
    """Ingest calls releases (one hook) and bugs asks it for a bug's release: never back."""
    for module, path in MODULES.items():
        if _layer(module) == "shared.releases":
            layers = {_layer(i) for i in _imports(path)}
            assert not layers & {"shared.ingest", "shared.bugs"}, f"{module} imports {layers}"
    assert "shared.releases.track" in _imports(MODULES["shared.ingest.batch"])


def test_the_ingest_hook_of_releases_never_imports_the_orm():
    """shared/releases/track.py runs inside every report's transaction (the report's hot path)."""
    found = _imports(MODULES["shared.releases.track"])
    assert not {m for m in found if m.startswith("shared.db.models")}, found
    source = MODULES["shared.releases.track"].read_text(encoding="utf-8")
    assert "sqlalchemy.orm" not in source
