"""Lists carry summaries, the detail the whole bug (issue 11, item 3): 60 bugs of ~1 MiB each
made a 56 MB bug list and doubled the gateway's memory."""

from __future__ import annotations

import json

import pytest

from shared.core import limits
from tests.functions.conftest import cicd, deployment, runtime

BIG = 60_000  # characters of each long field; a report is then ~0.9 MiB of JSON


def huge_runtime(n: int) -> dict:
    report = runtime(type_=f"HugeError{n}", message="m" * limits.MAX_MESSAGE, line=n)
    report["error"]["stack_trace"] = "frame\n" * (BIG // 6)
    report["context"] = {f"blob{k}": "x" * BIG for k in range(13)} | {"request_id": f"req-{n}"}
    return report


def huge_cicd(n: int) -> dict:
    report = cicd(job=f"job{n}", step="npm build")
    # The log tail first, as a client may send it: the summary still finds the short keys.
    report["context"] = {"log_tail": "npm ERR! " * (BIG // 9), **report["context"], "big": ["y" * BIG] * 12}
    report["error"]["message"] = "e" * 5000
    return report


@pytest.fixture
def huge(send):
    ids = [send(huge_runtime(n))["id"] for n in range(20)]
    ids += [send(huge_cicd(n))["id"] for n in range(10)]
    ids.append(send(deployment())["id"])
    return ids


def _assert_summary(item: dict) -> None:
    assert "stack_trace" not in item
    assert "log_tail" not in item["context"]
    assert len(item["error_message"] or "") <= limits.SUMMARY_MESSAGE
    assert all(not isinstance(v, (dict, list)) and len(str(v)) <= limits.SUMMARY_CONTEXT_VALUE
               for v in item["context"].values())


def test_bug_list_and_pending_are_small_summaries(bugs, tasks, huge):
    listed = bugs.get("/api/v1/bugs?page_size=200")
    body = listed.get_json()
    assert body["total"] == len(huge) and len(body["items"]) == len(huge)
    assert len(listed.data) < 60_000, len(listed.data)  # 31 bugs of ~0.9 MiB: was ~28 MB
    for item in body["items"]:
        _assert_summary(item)
    by_type = {i["error_type"]: i for i in body["items"]}
    assert by_type["HugeError3"]["error_message"] == "m" * limits.SUMMARY_MESSAGE
    assert by_type["HugeError3"]["error_message_truncated"] is True
    assert by_type["HugeError3"]["context"] == {}  # runtime context is the app's own: only in the detail
    ci = next(i for i in body["items"] if i["source"] == "cicd" and i["context"].get("job_name") == "job4")
    assert ci["context"] == {"job_name": "job4", "step_name": "npm build", "workflow_name": "ci",
                             "run_url": "http://ci/1"}
    crash = next(i for i in body["items"] if i["source"] == "deployment")
    assert crash["error_message_truncated"] is False
    assert crash["context"] == {"namespace": "prod", "deployment_name": "api", "pod_name": "api-7d9f-abcde",
                                "restart_count": 3, "reason": "CrashLoopBackOff", "container_name": "app"}

    pending = tasks.get("/api/v1/tasks/pending?limit=100")
    assert len(pending.data) < 40_000, len(pending.data)
    items = pending.get_json()["items"]
    assert len(items) == 20 + 10 + 1 and pending.get_json()["total"] == 31
    for item in items:
        _assert_summary(item)


def test_detail_and_claim_are_the_whole_bug(bugs, tasks, huge):
    detail = bugs.get(f"/api/v1/bugs/{huge[3]}").get_json()
    assert detail["error_message"] == "m" * limits.MAX_MESSAGE
    assert detail["stack_trace"] == ("frame\n" * (BIG // 6))[-limits.MAX_STACK_TRACE:]
    assert detail["context"]["blob12"] == "x" * BIG and detail["context"]["request_id"] == "req-3"
    ci = bugs.get(f"/api/v1/bugs/{huge[24]}").get_json()
    assert ci["context"]["log_tail"].startswith("npm ERR!") and len(ci["context"]["big"]) == 12
    claimed = tasks.post(f"/api/v1/tasks/{huge[5]}/claim", json={}).get_json()
    assert claimed["stack_trace"] and len(claimed["context"]["blob0"]) == BIG


@pytest.mark.parametrize("stored", ["not json at all", '{"job_name": "j", "log_tail": "unterminated',
                                    '["a list"]', '{"job_name": {"nested": 1}, "step_name": "s"}', ""])
def test_a_stored_context_that_is_odd_still_lists(send, bugs, stored):
    """Rows written by older code (plain text) or cut at the read limit never break a list."""
    from sqlalchemy import text

    from shared.db.engine import get_engine

    bug_id = send(cicd())["id"]
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE errorlog SET context = :c WHERE id = :i"), {"c": stored, "i": bug_id})
    r = bugs.get("/api/v1/bugs")
    assert r.status_code == 200
    item = r.get_json()["items"][0]
    assert item["context"] == ({"step_name": "s"} if "nested" in stored else {"job_name": "j"} if "unterminated" in stored else {})
    json.loads(r.data)
