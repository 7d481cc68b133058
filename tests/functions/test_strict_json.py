"""Every answer is strict JSON (issue 11, item 1): numbers beyond a double, sent anywhere in
a report, never come back as the bare `Infinity`/`NaN` that a browser's JSON.parse rejects."""

import json

import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from tests.functions.conftest import runtime


def strict(response) -> object:
    """Parse like a browser: Infinity/NaN are errors."""
    def reject(name):
        raise AssertionError(f"non-JSON constant {name} in {response.request.path}")

    return json.loads(response.get_data(as_text=True), parse_constant=reject)


HUGE = '{"project_id": "p", "error": {"type": "E", "message": "m"}, "context": %s}'


@pytest.mark.parametrize("context", [
    '{"big": 1e400}', '{"neg": -1e400}', '{"deep": {"list": [1, 1E+999, {"x": -9e99999}]}}',
    '{"tiny": 1e-400, "ok": 1.5}',
])
def test_huge_numbers_in_context_are_kept_as_text_and_every_answer_stays_json(report, bugs, tasks, context):
    r = report.post("/api/v1/logs/report", data=HUGE % context, content_type="application/json")
    assert r.status_code == 201, r.get_data(as_text=True)
    bug_id = r.get_json()["id"]
    for client, path in ((bugs, "/api/v1/bugs"), (bugs, f"/api/v1/bugs/{bug_id}"), (tasks, "/api/v1/tasks/pending")):
        body = strict(client.get(path))
        assert body
    detail = strict(bugs.get(f"/api/v1/bugs/{bug_id}"))
    sent = json.loads(context, parse_float=lambda s: s if abs(float(s)) == float("inf") else float(s))
    assert detail["context"] == sent  # the too-large numbers are their literal text; the rest unchanged


@pytest.mark.parametrize("field, value", [("error.line_number", "1e400"), ("error.line_number", "-1e400")])
def test_huge_number_where_an_integer_is_required_is_a_422(report, field, value):
    body = '{"project_id": "p", "error": {"type": "E", "line_number": %s}}' % value
    r = report.post("/api/v1/logs/report", data=body, content_type="application/json")
    assert r.status_code == 422
    assert {"field": field, "issue": "must be an integer"} in r.get_json()["error"]["details"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_invalid_json(report, literal):
    r = report.post("/api/v1/logs/report", data=HUGE % ('{"x": %s}' % literal), content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_json"


def test_a_non_finite_value_already_stored_goes_out_as_valid_json(send, bugs, tasks):
    """A row written by older code (or by hand) holding `Infinity` does not break the pages."""
    bug_id = send(runtime())["id"]
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE errorlog SET context = :c, stack_trace = :s WHERE id = :i"),
                     {"c": '{"a": Infinity, "b": [NaN, -Infinity]}', "s": '[{"f": "x", "v": NaN}]', "i": bug_id})
    for client, path in ((bugs, "/api/v1/bugs"), (bugs, f"/api/v1/bugs/{bug_id}"), (tasks, "/api/v1/tasks/pending")):
        strict(client.get(path))
    detail = strict(bugs.get(f"/api/v1/bugs/{bug_id}"))
    assert detail["context"] == {"a": "inf", "b": ["nan", "-inf"]}
