import threading

import pytest

from tests.functions.conftest import cicd, deployment, runtime


def test_pending_lists_new_and_pending_fix_oldest_first(send, tasks, bugs):
    a = send(runtime(line=1))["id"]
    b = send(runtime(line=2))["id"]
    c = send(runtime(line=3))["id"]
    send(cicd())
    send(deployment())
    bugs.patch(f"/api/v1/bugs/{b}/status", json={"status": "PENDING_FIX"})
    bugs.patch(f"/api/v1/bugs/{c}/status", json={"status": "FIXED"})
    body = tasks.get("/api/v1/tasks/pending?source=runtime").get_json()
    assert [i["id"] for i in body["items"]] == [a, b] and body["total"] == 2
    assert tasks.get("/api/v1/tasks/pending").get_json()["total"] == 4
    assert tasks.get("/api/v1/tasks/pending?limit=1").get_json()["total"] == 4
    assert len(tasks.get("/api/v1/tasks/pending?limit=1").get_json()["items"]) == 1
    assert tasks.get("/api/v1/tasks/pending?project_id=nobody").get_json() == {"items": [], "total": 0}
    assert tasks.get("/function/tasks/pending?source=cicd").get_json()["total"] == 1


@pytest.mark.parametrize("query", ["source=mobile", "limit=0", "limit=101", "limit=ten"])
def test_pending_rejects_bad_parameters(tasks, query):
    assert tasks.get(f"/api/v1/tasks/pending?{query}").status_code == 422


def test_claim_moves_to_fixing_with_history(send, tasks):
    bug_id = send(runtime())["id"]
    body = tasks.post(f"/api/v1/tasks/{bug_id}/claim", json={"note": "agent-1"}).get_json()
    assert body["status"] == "FIXING"
    assert body["history"][0] | {"created_at": None} == {"from_status": "NEW", "to_status": "FIXING",
                                                         "note": "agent-1", "actor": "anonymous", "created_at": None}
    again = tasks.post(f"/api/v1/tasks/{bug_id}/claim")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_claim_from_fix_failed_and_refusals(send, tasks, bugs):
    bug_id = send(runtime())["id"]
    bugs.patch(f"/api/v1/bugs/{bug_id}/status", json={"status": "FIX_FAILED"})
    assert tasks.post(f"/api/v1/tasks/{bug_id}/claim").status_code == 200
    done = send(runtime(line=7))["id"]
    bugs.patch(f"/api/v1/bugs/{done}/status", json={"status": "VERIFIED"})
    assert tasks.post(f"/api/v1/tasks/{done}/claim").status_code == 409
    assert tasks.post(f"/api/v1/tasks/{send(cicd())['id']}/claim").status_code == 422
    assert tasks.post("/api/v1/tasks/424242/claim").status_code == 404
    assert tasks.get(f"/api/v1/tasks/{bug_id}/claim").status_code == 405


def test_two_concurrent_claims_exactly_one_wins(send, tasks):
    for round_ in range(5):
        bug_id = send(runtime(line=100 + round_))["id"]
        barrier = threading.Barrier(2)
        codes = []

        def claim():
            client = tasks.application.test_client()
            barrier.wait()
            codes.append(client.post(f"/api/v1/tasks/{bug_id}/claim").status_code)

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [200, 409]
