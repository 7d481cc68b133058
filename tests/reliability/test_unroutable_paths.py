"""A path Flask's `<path:path>` cannot match (one holding a newline) still gets the JSON error
shape: under functions-framework (each function alone) and under the gateway. Found by
schemathesis (GET /api/v1/bugs/a%0Ab answered Flask's HTML 404)."""

from __future__ import annotations

from pathlib import Path

import functions_framework
import pytest

from shared.gateway import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["report", "bugs", "tasks", "stats"])
def test_function_answers_json_404(name):
    app = functions_framework.create_app(name, str(ROOT / "functions" / name / "main.py"))
    for method in ("GET", "POST"):
        r = app.test_client().open("/api/v1/bugs/a%0Ab", method=method)
        assert r.status_code == 404 and r.is_json, r.data[:200]
        assert r.get_json()["error"]["code"] == "not_found"


def test_gateway_answers_json_404(tmp_path):
    client = create_app(web_dist=tmp_path).test_client()
    for path in ("/api/v1/bugs/a%0Ab", "/function/bugs/%0A", "/x%0Ay"):
        r = client.get(path)
        assert r.status_code == 404 and r.is_json, (path, r.data[:200])
