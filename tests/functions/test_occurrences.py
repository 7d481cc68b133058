"""Every counted report keeps an occurrence; the newest LOGCENTER_OCCURRENCES_PER_BUG per bug."""

import threading

import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from shared.settings import reset_settings
from tests.functions.conftest import deployment, runtime


def occurrences(bugs, bug_id, **params):
    r = bugs.get(f"/api/v1/bugs/{bug_id}/occurrences", query_string=params)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_each_report_is_kept_as_it_was_sent(send, bugs):
    first = send(runtime(message="first", environment="staging", version="1.0", commit_hash="abc1234",
                         context={"user": 1}, timestamp="2026-11-27T10:00:00Z"))
    send(runtime(message="second", environment="production", version="1.1", context={"user": 2}))
    body = occurrences(bugs, first["id"])
    assert body["total"] == 2 and body["page"] == 1
    newest, oldest = body["items"]
    assert (newest["message"], newest["environment"], newest["version"], newest["seq"]) == \
        ("second", "production", "1.1", 2)
    assert (oldest["message"], oldest["commit_hash"], oldest["context"], oldest["seq"]) == \
        ("first", "abc1234", {"user": 1}, 1)
    assert oldest["reported_at"].startswith("2026-11-27T10:00:00") and oldest["created_at"].endswith("Z")
    assert oldest["level"] == "ERROR" and oldest["event_id"] is None


def test_first_version_is_the_first_reports_and_never_changes(send, bugs):
    bug_id = send(runtime(version="1.0"))["id"]
    send(runtime(version="1.1"))
    send(runtime())
    bug = bugs.get(f"/api/v1/bugs/{bug_id}").get_json()
    assert bug["first_version"] == "1.0" and bug["version"] is None


def test_the_newest_are_kept_up_to_the_cap(send, bugs, monkeypatch):
    monkeypatch.setenv("LOGCENTER_OCCURRENCES_PER_BUG", "3")
    reset_settings()
    bug_id = None
    for i in range(7):
        bug_id = send(runtime(message=f"m{i}"))["id"]
    body = occurrences(bugs, bug_id)
    assert body["total"] == 3
    assert [o["message"] for o in body["items"]] == ["m6", "m5", "m4"]
    assert bugs.get(f"/api/v1/bugs/{bug_id}").get_json()["occurrence_count"] == 7


def test_zero_keeps_none(send, bugs, monkeypatch):
    monkeypatch.setenv("LOGCENTER_OCCURRENCES_PER_BUG", "0")
    reset_settings()
    bug_id = send(runtime())["id"]
    send(runtime())
    assert occurrences(bugs, bug_id)["total"] == 0


def test_a_rescan_of_the_same_crash_adds_none_a_new_crash_does(send, bugs):
    bug_id = send(deployment(restarts=3))["id"]
    send(deployment(restarts=3))
    assert occurrences(bugs, bug_id)["total"] == 1
    send(deployment(restarts=4))
    assert occurrences(bugs, bug_id)["total"] == 2


def test_a_regression_adds_one(send, bugs):
    bug_id = send(runtime())["id"]
    assert bugs.patch(f"/api/v1/bugs/{bug_id}/status", json={"status": "FIXED"}).status_code == 200
    assert send(runtime())["status"] == "NEW"
    assert [o["seq"] for o in occurrences(bugs, bug_id)["items"]] == [2, 1]


def test_paging_newest_first(send, bugs):
    bug_id = None
    for i in range(5):
        bug_id = send(runtime(message=f"m{i}"))["id"]
    page2 = occurrences(bugs, bug_id, page=2, page_size=2)
    assert [o["message"] for o in page2["items"]] == ["m2", "m1"] and page2["total"] == 5


@pytest.mark.parametrize("path, status", [("/api/v1/bugs/999/occurrences", 404), ("/api/v1/bugs/x/occurrences", 404),
                                          ("/api/v1/bugs/1/occurrences?page_size=0", 422),
                                          ("/api/v1/bugs/1/occurrences?page=x", 422)])
def test_bad_requests(send, bugs, path, status):
    send(runtime())
    r = bugs.get(path)
    assert r.status_code == status and "error" in r.get_json()


def test_concurrent_reports_keep_one_occurrence_each_with_distinct_seqs(report, bugs):
    def worker():
        for _ in range(15):
            assert report.post("/api/v1/logs/report", json=runtime()).status_code in (200, 201)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bug = bugs.get("/api/v1/bugs").get_json()["items"][0]
    with get_engine().connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM occurrence WHERE bug_id = :b ORDER BY seq"),
                                           {"b": bug["id"]})]
    assert bug["occurrence_count"] == 90
    assert seqs == list(range(41, 91))  # the newest 50 of 90
