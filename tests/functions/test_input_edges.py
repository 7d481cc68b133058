"""Input at the edges of what a field allows (issue 11, items 5 and 6): identifiers are matched
whole, and a timestamp whose UTC instant does not exist in years 1-9999 is a 422, never a 500."""

from __future__ import annotations

import pytest

from tests.functions.conftest import runtime
from tests.support.snapshot import stored_rows


@pytest.mark.parametrize("project_id", ["p1\n", "p1\r\n", "p1\n\n", "\np1", "p1\x0b", "p1\u2028", "p1 "])
def test_project_id_with_a_trailing_newline_or_space_is_refused(report, projects, project_id):
    before = stored_rows()
    r = report.post("/api/v1/logs/report", json=runtime(project=project_id))
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.get_json()["error"]["details"][0]["field"] == "project_id"
    assert stored_rows() == before
    assert projects.get("/api/v1/projects").get_json()["items"] == []


def test_project_id_that_fits_is_still_accepted(send, projects):
    send(runtime(project="p1"))
    assert [p["project_id"] for p in projects.get("/api/v1/projects").get_json()["items"]] == ["p1"]


@pytest.mark.parametrize("path", ["/api/v1/bugs\n", "/api/v1/projects\n", "/api/v1/bugs/1\n"])
def test_a_route_matches_the_whole_path(send, bugs, path):
    """A route pattern ending in `$` would also match before a final newline."""
    send(runtime())
    r = bugs.get(path.replace("\n", "%0A"))
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("timestamp", [
    "0001-01-01T00:00:00+23:59",       # UTC instant before year 1
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-23:59",       # UTC instant after year 9999
    "9999-12-31T23:59:59.999999-00:01",
    "10000-01-01T00:00:00Z",           # years past 9999
    "+10000-01-01T00:00:00Z",
    "99999-12-31T23:59:59+00:00",
    "0000-01-01T00:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-02-30T00:00:00Z",
])
def test_timestamp_outside_what_can_be_stored_is_a_422(report, timestamp):
    before = stored_rows()
    r = report.post("/api/v1/logs/report", json=runtime(timestamp=timestamp))
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.get_json()["error"]["details"] == [
        {"field": "timestamp", "issue": "must be an ISO 8601 date-time between years 1 and 9999 in UTC"}]
    assert stored_rows() == before


@pytest.mark.parametrize("timestamp, stored", [
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
    ("0001-01-01T23:59:00+23:59", "0001-01-01T00:00:00.000Z"),
    ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"),
    ("9999-12-31T00:00:00-23:59", "9999-12-31T23:59:00.000Z"),
])
def test_timestamp_at_the_very_edge_is_stored(send, bugs, timestamp, stored):
    bug_id = send(runtime(timestamp=timestamp))["id"]
    assert bugs.get(f"/api/v1/bugs/{bug_id}").get_json()["reported_at"] == stored
    occurrences = bugs.get(f"/api/v1/bugs/{bug_id}/occurrences").get_json()["items"]
    assert occurrences[0]["reported_at"] == stored
