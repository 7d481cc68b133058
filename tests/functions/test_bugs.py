import pytest

from tests.functions.conftest import cicd, deployment, runtime
from tests.support.snapshot import stored_rows


@pytest.fixture
def seeded(send):
    ids = {
        "rt_a": send(runtime(project="alpha", line=1))["id"],
        "rt_b": send({**runtime(project="beta", type_="KeyError", line=2, message="missing key 'user_id'"),
                      "level": "CRITICAL"})["id"],
        "ci": send(cicd(project="alpha"))["id"],
        "dep": send(deployment(project="beta"))["id"],
    }
    send(runtime(project="alpha", line=1))  # second occurrence of rt_a
    return ids


def ids_of(bugs, query: str) -> set[int]:
    r = bugs.get(f"/api/v1/bugs{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return {b["id"] for b in r.get_json()["items"]}


def test_filters(bugs, seeded):
    s = seeded
    assert ids_of(bugs, "") == set(s.values())
    assert ids_of(bugs, "?source=runtime") == {s["rt_a"], s["rt_b"]}
    assert ids_of(bugs, "?source=cicd") == {s["ci"]}
    assert ids_of(bugs, "?source=deployment") == {s["dep"]}
    assert ids_of(bugs, "?source=cicd,deployment") == {s["ci"], s["dep"]}
    assert ids_of(bugs, "?project_id=alpha") == {s["rt_a"], s["ci"]}
    assert ids_of(bugs, "?project_id=alpha&source=runtime") == {s["rt_a"]}
    assert ids_of(bugs, "?level=CRITICAL") == {s["rt_b"], s["dep"]}
    assert ids_of(bugs, "?level=critical&source=runtime") == {s["rt_b"]}
    assert ids_of(bugs, "?q=keyerror") == {s["rt_b"]}
    assert ids_of(bugs, "?q=user_id") == {s["rt_b"]}
    assert ids_of(bugs, "?q=%25") == set()  # a literal %, not a wildcard
    bugs.patch(f"/api/v1/bugs/{s['rt_b']}/status", json={"status": "IGNORED"})
    assert ids_of(bugs, "?status=IGNORED") == {s["rt_b"]}
    assert ids_of(bugs, "?status=NEW&project_id=beta&source=deployment") == {s["dep"]}


def test_pagination_and_sort(bugs, seeded):
    page1 = bugs.get("/api/v1/bugs?page_size=3&sort=id").get_json()
    page2 = bugs.get("/api/v1/bugs?page_size=3&page=2&sort=id").get_json()
    assert page1["total"] == page2["total"] == 4 and (page1["page"], page1["page_size"]) == (1, 3)
    assert [b["id"] for b in page1["items"]] + [b["id"] for b in page2["items"]] == sorted(seeded.values())
    top = bugs.get("/api/v1/bugs?sort=-occurrence_count&page_size=1").get_json()["items"][0]
    assert top["id"] == seeded["rt_a"] and top["occurrence_count"] == 2
    newest = bugs.get("/api/v1/bugs?page_size=1").get_json()["items"][0]  # default: -last_seen_at
    assert newest["id"] == seeded["rt_a"]
    assert bugs.get("/api/v1/bugs?page=99").get_json()["items"] == []


@pytest.mark.parametrize("query, field", [
    ("source=mobile", "source"), ("status=DONE", "status"), ("level=LOUD", "level"), ("page=0", "page"),
    ("page=x", "page"), ("page_size=201", "page_size"), ("page_size=0", "page_size"), ("sort=name", "sort"),
])
def test_bad_query_parameters_are_422(bugs, query, field):
    r = bugs.get(f"/api/v1/bugs?{query}")
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["field"] == field


def test_detail_has_every_field_and_history(bugs, seeded):
    bug = bugs.get(f"/api/v1/bugs/{seeded['ci']}").get_json()
    for name in ("id", "project_id", "source", "level", "environment", "version", "commit_hash", "error_type",
                 "error_message", "file_path", "line_number", "stack_trace", "context", "fingerprint", "status",
                 "occurrence_count", "is_regression", "first_seen_at", "last_seen_at", "history"):
        assert name in bug
    assert bug["first_seen_at"].endswith("Z") and bug["history"] == []


@pytest.mark.parametrize("path", ["/api/v1/bugs/999999", "/api/v1/bugs/abc", "/api/v1/bugs/-1", "/999999"])
def test_unknown_bug_is_404(bugs, path):
    r = bugs.get(path)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_status_change_records_history_newest_first(bugs, seeded):
    path = f"/api/v1/bugs/{seeded['rt_a']}/status"
    assert bugs.patch(path, json={"status": "PENDING_FIX", "note": "please"}).status_code == 200
    body = bugs.patch(path, json={"status": "ignored"}).get_json()
    assert body["status"] == "IGNORED"
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [("PENDING_FIX", "IGNORED"),
                                                                             ("NEW", "PENDING_FIX")]
    assert body["history"][1]["note"] == "please" and body["history"][1]["actor"] == "anonymous"


def test_status_change_guards(bugs, seeded):
    before = stored_rows()
    fixing = bugs.patch(f"/api/v1/bugs/{seeded['rt_a']}/status", json={"status": "FIXING"})
    assert fixing.status_code == 409 and fixing.get_json()["error"]["code"] == "conflict"
    for key in ("ci", "dep"):
        r = bugs.patch(f"/api/v1/bugs/{seeded[key]}/status", json={"status": "PENDING_FIX"})
        assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == "status"
    for body in ({"status": "DONE"}, {}, {"status": 3}, {"status": "FIXED", "note": 5}, ["FIXED"]):
        assert bugs.patch(f"/api/v1/bugs/{seeded['rt_a']}/status", json=body).status_code == 422
    assert bugs.patch("/api/v1/bugs/999999/status", json={"status": "FIXED"}).status_code == 404
    assert bugs.patch(f"/api/v1/bugs/{seeded['rt_a']}/status", data="x",
                      content_type="text/plain").status_code == 415
    assert stored_rows() == before


def test_non_runtime_bugs_can_be_moved_by_a_person(bugs, seeded):
    assert bugs.patch(f"/api/v1/bugs/{seeded['ci']}/status", json={"status": "FIXED"}).get_json()["status"] == "FIXED"


def test_search_escapes_wildcards_and_caps_its_count(send, bugs, monkeypatch):
    from shared.core import limits

    for i in range(5):
        send(runtime(project="s", line=i, message=f"disk 100%_full/{i}"))
    send(runtime(project="s", line=99, message="disk 1000 full"))
    assert bugs.get("/api/v1/bugs?q=100%25_full/&project_id=s").get_json()["total"] == 5
    assert bugs.get("/api/v1/bugs?q=0_f").get_json()["total"] == 0  # "_" is literal, not "any character"
    monkeypatch.setattr(limits, "SEARCH_COUNT_CAP", 3)
    body = bugs.get("/api/v1/bugs?q=disk&page_size=2").get_json()
    assert (body["total"], body["total_capped"], len(body["items"])) == (3, True, 2)
    assert "total_capped" not in bugs.get("/api/v1/bugs?q=1000").get_json()


def _pages(bugs, query: str, page_size: int) -> tuple[list[int], set[tuple[int, bool]]]:
    """Every page of a listing in order, and the (total, capped) each page reported."""
    ids, totals, page = [], set(), 1
    while True:
        body = bugs.get(f"/api/v1/bugs{query}&page={page}&page_size={page_size}").get_json()
        totals.add((body["total"], body.get("total_capped", False)))
        if not body["items"]:
            return ids, totals
        ids += [b["id"] for b in body["items"]]
        page += 1


@pytest.mark.parametrize("cap", [1000, 4], ids=["under the cap", "past the cap"])
def test_search_pages_in_every_order_are_the_matching_rows_of_the_plain_listing(send, bugs, monkeypatch, cap):
    # Under the cap a search's page is cut from the rows its count read; past it the page
    # comes from the table. Either way it must be exactly the plain listing, filtered.
    from shared.core import limits

    needles = set()
    for i in range(9):
        body = send(runtime(project="pg", line=i, message=f"{'needle' if i % 3 else 'hay'} {i}"))
        for _ in range(i % 4):  # occurrence counts with ties, so ids break them
            send(runtime(project="pg", line=i, message=f"{'needle' if i % 3 else 'hay'} {i}"))
        if i % 3:
            needles.add(body["id"])
    monkeypatch.setattr(limits, "SEARCH_COUNT_CAP", cap)
    for sort in ("last_seen_at", "first_seen_at", "occurrence_count", "id"):
        for order in (sort, "-" + sort):
            everything, _ = _pages(bugs, f"?project_id=pg&sort={order}", 4)
            found, totals = _pages(bugs, f"?project_id=pg&q=NEEDLE&sort={order}", 2)
            assert found == [i for i in everything if i in needles], order
            assert totals == ({(4, True)} if cap == 4 else {(6, False)}), order
    past = bugs.get("/api/v1/bugs?project_id=pg&q=needle&page=9&page_size=2").get_json()
    assert past["items"] == [] and past["total"] == min(6, cap)


def test_search_is_case_insensitive_over_type_and_message_and_ignores_other_fields(send, bugs):
    from shared.core import limits

    send(runtime(project="cs", line=1, type_="PaymentTimeoutError", message="gateway slow"))
    send(runtime(project="cs", line=2, message="Payment DECLINED by bank"))
    send(runtime(project="cs", line=3, message="x" * limits.SEARCH_TEXT_CHARS + " needle past the limit"))
    send(runtime(project="cs", line=4, message="nothing here", file_path="app/payment.py"))
    found = lambda q: {b["error_message"][:20] for b in bugs.get(f"/api/v1/bugs?q={q}&project_id=cs")  # noqa: E731
                       .get_json()["items"]}
    assert found("payment") == found("PAYMENT") == {"gateway slow", "Payment DECLINED by "}
    assert found("timeouterror declined") == set()  # one term, not words
    assert found("declined by") == {"Payment DECLINED by "}
    assert found("needle") == set()  # past SEARCH_TEXT_CHARS: documented, not searched
