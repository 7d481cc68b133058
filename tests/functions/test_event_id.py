"""A report's `event_id` is counted once: a client's retry within 24 h is answered with the
bug as it stands (DESIGN.md, Sentry-compatible ingest; the native route takes the same id)."""

import threading
import uuid

import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from shared.ingest import batch, store
from tests.functions.conftest import runtime
from tests.support.snapshot import stored_rows


def test_a_retry_is_answered_and_not_counted(report, bugs, stats):
    event = uuid.uuid4().hex
    first = report.post("/api/v1/logs/report", json=runtime(event_id=event))
    assert first.status_code == 201
    before = stored_rows()
    again = report.post("/api/v1/logs/report", json=runtime(event_id=event, message="retry"))
    assert again.status_code == 200
    body = again.get_json()
    assert body["duplicate"] is True and body["id"] == first.get_json()["id"] and body["occurrence_count"] == 1
    assert stored_rows() == before  # nothing counted, nothing rewritten
    assert stats.get("/api/v1/dashboard/stats").get_json()["total_occurrences"] == 1
    occurrences = bugs.get(f"/api/v1/bugs/{body['id']}/occurrences").get_json()["items"]
    assert [o["event_id"] for o in occurrences] == [event]


def test_the_same_id_in_another_project_or_a_new_id_counts(send):
    event = uuid.uuid4().hex
    send(runtime(event_id=event))
    assert send(runtime(project="other", event_id=event))["is_new"] is True
    assert send(runtime(event_id=uuid.uuid4().hex))["occurrence_count"] == 2


def test_uuid_spellings_are_one_id(send):
    event = uuid.uuid4()
    send(runtime(event_id=str(event)))
    assert send(runtime(event_id=event.hex.upper())).get("duplicate") is True


@pytest.mark.parametrize("value", ["abc", "g" * 32, 12345, "", ["a"]])
def test_a_malformed_event_id_is_a_422(report, value):
    r = report.post("/api/v1/logs/report", json=runtime(event_id=value))
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["field"] == "event_id"


def test_an_id_older_than_24_hours_counts_again(send):
    event = uuid.uuid4().hex
    send(runtime(event_id=event))
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE ingest_event SET created_at = '2020-01-01 00:00:00'"))
    again = send(runtime(event_id=event))
    assert "duplicate" not in again and again["occurrence_count"] == 2


def test_concurrent_retries_count_once(report, bugs):
    event = uuid.uuid4().hex
    answers = []

    def post():
        answers.append(report.post("/api/v1/logs/report", json=runtime(event_id=event)).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] * 7 + [201]
    assert bugs.get("/api/v1/bugs").get_json()["items"][0]["occurrence_count"] == 1


def test_a_failed_transaction_releases_the_id_so_the_retry_counts(report, monkeypatch):
    event = uuid.uuid4().hex
    broken = "SELECT no_such_column FROM errorlog"
    monkeypatch.setattr(batch, "_UPSERT_ONE", broken)
    monkeypatch.setattr(batch, "BATCH_PG_WITH_OCCURRENCES", broken)
    assert report.post("/api/v1/logs/report", json=runtime(event_id=event)).status_code >= 500
    monkeypatch.undo()
    retry = report.post("/api/v1/logs/report", json=runtime(event_id=event))
    assert retry.status_code == 201 and retry.get_json()["occurrence_count"] == 1
