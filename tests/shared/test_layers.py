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
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'shared.db.models',"
        " 'shared.db.migrations', 'kubernetes')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
