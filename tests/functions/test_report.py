import gzip
import json
import threading

import pytest

from tests.functions.conftest import cicd, deployment, runtime
from tests.support.snapshot import stored_rows


def test_new_then_duplicate_runtime(send):
    first = send(runtime(), expect=201)
    second = send(runtime(message="other message"), expect=200)
    assert first["is_new"] and not second["is_new"]
    assert first["id"] == second["id"] and second["occurrence_count"] == 2
    assert set(first) >= {"id", "fingerprint", "status", "is_new", "occurrence_count"}


def test_payload_without_source_is_runtime(send, bugs):
    bug_id = send({"project_id": "legacy", "error": {"type": "KeyError", "file_path": "a.py", "line_number": 1}})["id"]
    assert bugs.get(f"/api/v1/bugs/{bug_id}").get_json()["source"] == "runtime"


def test_runtime_different_line_is_a_different_bug(send):
    assert send(runtime(line=1))["id"] != send(runtime(line=2))["id"]


def test_cicd_dedups_by_job_and_step(send, bugs):
    a = send(cicd(run_id="1"))
    b = send(cicd(run_id="2"))
    c = send(cicd(step="npm build", type_="NpmBuildError"))
    assert a["id"] == b["id"] != c["id"] and b["occurrence_count"] == 2
    bug = bugs.get(f"/api/v1/bugs/{a['id']}").get_json()
    assert bug["context"]["run_id"] == "2" and bug["file_path"] is None and bug["line_number"] is None


def test_deployment_dedups_across_pods_of_one_workload(send):
    a = send(deployment(pod="api-1", restarts=1))
    b = send(deployment(pod="api-2", restarts=1))
    assert a["id"] == b["id"] and b["occurrence_count"] == 2


def test_deployment_rescan_of_same_crash_does_not_count(send, bugs, stats):
    first = send(deployment(restarts=3))
    again = send(deployment(restarts=3))
    assert again["occurrence_count"] == 1 and not again["is_new"]
    before = bugs.get(f"/api/v1/bugs/{first['id']}").get_json()
    more = send(deployment(restarts=4))
    assert more["occurrence_count"] == 2
    after = bugs.get(f"/api/v1/bugs/{first['id']}").get_json()
    assert after["last_seen_at"] >= before["last_seen_at"]
    assert stats.get("/api/v1/dashboard/stats").get_json()["trend"][-1]["count"] == 2


def test_rescan_refreshes_last_seen(send, bugs):
    first = send(deployment())
    t1 = bugs.get(f"/api/v1/bugs/{first['id']}").get_json()["last_seen_at"]
    send(deployment())
    t2 = bugs.get(f"/api/v1/bugs/{first['id']}").get_json()["last_seen_at"]
    assert t2 > t1


@pytest.mark.parametrize("resolved", ["FIXED", "VERIFIED", "DEPLOYED"])
def test_runtime_regression_reopens(send, bugs, resolved):
    bug_id = send(runtime())["id"]
    assert bugs.patch(f"/api/v1/bugs/{bug_id}/status", json={"status": resolved, "note": "done"}).status_code == 200
    again = send(runtime())
    assert again["status"] == "NEW"
    bug = bugs.get(f"/api/v1/bugs/{bug_id}").get_json()
    assert bug["is_regression"] is True and bug["status"] == "NEW"
    newest = bug["history"][0]
    assert (newest["from_status"], newest["to_status"], newest["actor"]) == (resolved, "NEW", "system")


def test_non_runtime_does_not_reopen_and_ignored_stays_ignored(send, bugs):
    cid = send(cicd())["id"]
    bugs.patch(f"/api/v1/bugs/{cid}/status", json={"status": "FIXED"})
    assert send(cicd())["status"] == "FIXED"
    rid = send(runtime())["id"]
    bugs.patch(f"/api/v1/bugs/{rid}/status", json={"status": "IGNORED"})
    assert send(runtime())["status"] == "IGNORED"


def test_concurrent_identical_reports_give_one_bug_with_exact_count(report, bugs):
    app_client_factory = report.application.test_client
    errors = []

    def worker():
        client = app_client_factory()
        for _ in range(200):
            r = client.post("/api/v1/logs/report", json=runtime(project="load"))
            if r.status_code not in (200, 201):
                errors.append(r.get_data(as_text=True))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listed = bugs.get("/api/v1/bugs?project_id=load").get_json()
    assert listed["total"] == 1 and listed["items"][0]["occurrence_count"] == 1600


def test_truncation_is_reported(send, bugs):
    body = send(runtime(message="x" * 100_000))
    assert body["truncated"] == ["error.message"]
    assert len(bugs.get(f"/api/v1/bugs/{body['id']}").get_json()["error_message"]) == 16_384


def test_sql_injection_strings_are_stored_literally(send, bugs):
    evil = "'; DROP TABLE errorlog; --"
    body = send({"project_id": "p", "error": {"type": "E", "message": evil, "file_path": evil},
                 "context": {evil: evil}})
    bug = bugs.get(f"/api/v1/bugs/{body['id']}").get_json()
    assert bug["error_message"] == evil and bug["file_path"] == evil and bug["context"] == {evil: evil}


def test_nul_bytes_are_stripped_not_rejected(send, bugs):
    body = send({"project_id": "p", "error": {"type": "E", "message": "a\u0000b"}})
    assert bugs.get(f"/api/v1/bugs/{body['id']}").get_json()["error_message"] == "ab"


def test_gzip_body_is_accepted(report):
    raw = gzip.compress(json.dumps(runtime()).encode())
    r = report.post("/api/v1/logs/report", data=raw,
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status_code == 201


BAD_REQUESTS = [
    ("invalid json", dict(data="{not json", content_type="application/json"), 400, "invalid_json"),
    ("empty body", dict(data="", content_type="application/json"), 400, "invalid_json"),
    ("NaN", dict(data='{"project_id": NaN}', content_type="application/json"), 400, "invalid_json"),
    ("invalid utf-8", dict(data=b'{"project_id": "\xff"}', content_type="application/json"), 400, "invalid_json"),
    ("form content type", dict(data="project_id=p", content_type="application/x-www-form-urlencoded"), 415,
     "unsupported_media_type"),
    ("no content type", dict(data=json.dumps(runtime())), 415, "unsupported_media_type"),
    ("array body", dict(json=[runtime()]), 422, "validation_error"),
    ("missing project_id", dict(json={"error": {"type": "E"}}), 422, "validation_error"),
    ("missing error.type", dict(json={"project_id": "p", "error": {"message": "m"}}), 422, "validation_error"),
    ("wrong types", dict(json={"project_id": ["p"], "error": {"type": 3, "line_number": "x"}, "context": "c"}),
     422, "validation_error"),
    ("unknown source", dict(json={**runtime(), "source": "mobile"}), 422, "validation_error"),
    ("unknown level", dict(json={**runtime(), "level": "FATAL"}), 422, "validation_error"),
    ("negative line", dict(json=runtime(line=-5)), 422, "validation_error"),
    ("huge line", dict(json=runtime(line=10**12)), 422, "validation_error"),
    ("2 MiB body", dict(json={**runtime(), "context": {"blob": "x" * (2 * 1024 * 1024)}}), 413, "payload_too_large"),
    ("deep json", dict(data='{"a":' * 100_000 + "1" + "}" * 100_000, content_type="application/json"), 400,
     "invalid_json"),
    ("unsupported encoding", dict(data=b"xx", content_type="application/json", headers={"Content-Encoding": "br"}),
     415, "unsupported_media_type"),
    ("broken gzip", dict(data=b"not gzip", content_type="application/json", headers={"Content-Encoding": "gzip"}),
     400, "bad_request"),
    ("gzip bomb", dict(data=gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]"), content_type="application/json",
                       headers={"Content-Encoding": "gzip"}), 413, "payload_too_large"),
]


@pytest.mark.parametrize("name, kwargs, status, code", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_is_a_clear_4xx_and_changes_nothing(report, send, name, kwargs, status, code):
    send(runtime())
    send(cicd())
    before = stored_rows()
    r = report.post("/api/v1/logs/report", **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]
    if status == 422:
        assert body["error"]["details"] and all("field" in d and "issue" in d for d in body["error"]["details"])
    assert stored_rows() == before


def test_wrong_method_is_405_and_unknown_path_404(report):
    r = report.get("/api/v1/logs/report")
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and r.get_json()["error"]["code"] == "method_not_allowed"
    assert report.get("/nope").status_code == 404


def test_openfaas_style_paths(report):
    assert report.post("/function/report", json=runtime()).status_code == 201
    assert report.post("/function/report/api/v1/logs/report", json=runtime()).status_code == 200
    assert report.get("/_/health").get_json()["status"] == "ok"
    assert report.get("/_/ready").status_code == 200
