"""The hostile-input corpus (tests/reliability/hostile.py) on SQLite and PostgreSQL.

Each request ends as its expected 4xx with nothing stored changed, or as a stored literal
exactly as documented (cleaned/truncated) with no other bug altered; never a 5xx.
"""

from __future__ import annotations

import pytest

from tests.functions.conftest import cicd, deployment, runtime
from tests.reliability.hostile import corpus
from tests.support.snapshot import counter_mismatches, stored_rows

CORPUS = corpus()


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 30
    assert len({h.name for h in CORPUS}) == len(CORPUS)


@pytest.fixture
def seeded(function_client):
    report = function_client("report")
    ids = []
    for payload in (runtime(), cicd(), deployment()):
        r = report.post("/api/v1/logs/report", json=payload)
        assert r.status_code == 201
        ids.append(r.get_json()["id"])
    return {name: function_client(name) for name in ("report", "bugs", "tasks", "stats")}, ids


@pytest.mark.parametrize("case", CORPUS, ids=[h.name for h in CORPUS])
def test_hostile_request(case, seeded):
    clients, seed_ids = seeded
    before = stored_rows()
    headers = {"Content-Type": "application/json"} if case.headers is None else case.headers
    r = clients[case.function].open(case.path, method=case.method, data=case.body, headers=headers)
    after = stored_rows()
    assert r.status_code < 500, r.get_data(as_text=True)[:500]
    assert r.is_json, r.content_type
    if case.expect == "listed":
        assert r.status_code == 200
        assert after == before
        return
    if isinstance(case.expect, int):
        assert r.status_code == case.expect, r.get_data(as_text=True)[:500]
        assert "code" in r.get_json()["error"]
        assert after == before, "a refused request changed what is stored"
        return
    assert r.status_code in (200, 201), r.get_data(as_text=True)[:500]
    answer = r.get_json()
    bug = clients["bugs"].get(f"/api/v1/bugs/{answer['id']}").get_json()
    case.check(bug, answer)
    # No other bug altered: the seeded rows and their history are exactly as they were.
    others = lambda rows: [row for row in rows["errorlog"] if row[0] != answer["id"]]  # noqa: E731
    assert others(after) == others(before)
    assert after["errorlog_status_history"] == before["errorlog_status_history"]
    assert sum(row[-1] for row in after["errorlog_daily"]) == sum(row[-1] for row in before["errorlog_daily"]) + 1
    assert counter_mismatches() == {}
    assert all(clients["bugs"].get(f"/api/v1/bugs/{i}").status_code == 200 for i in seed_ids)
