"""shared/bugs/search.py: which part of a term the trigram index is asked for, and that a
narrowed search finds exactly what the whole term finds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.bugs import search
from shared.db.engine import get_engine
from tests.functions.conftest import runtime


def _share(common: dict[str, float]):
    return lambda part: common.get(part, 0.001)


@pytest.mark.parametrize(("term", "common", "expected"), [
    ("Err17", {"err": 1.0, "rr1": 0.37}, "r17"),  # the part after the common trigrams
    ("KeyError", {"err": 0.9, "rro": 0.9, "ror": 0.9}, "keyer"),  # before them
    ("ab-error-xyz", {"err": 0.9, "rro": 0.9, "ror": 0.9}, "or-xyz"),  # the longer side
    ("timeout calling", {}, None),  # nothing common: the whole term
    ("error", {"err": 0.9, "rro": 0.9, "ror": 0.9}, None),  # nothing but common trigrams
    ("Err", {"err": 1.0}, None),  # too short to narrow
    ("Érr17", {"err": 1.0}, None),  # not ASCII: Python's lower() might not be the database's
    ("x-errorzz", {"err": 0.9, "rro": 0.9, "ror": 0.9, "-er": 0.5}, "orzz"),  # 'orzz' holds a trigram
    ("ab-errorz", {"err": 0.9, "rro": 0.9, "ror": 0.9, "b-e": 0.5}, "orz"),  # 'ab-', '-er' hold no trigram
    ("ab-error", {"err": 0.9, "rro": 0.9, "ror": 0.9, "b-e": 0.5}, None),  # and nothing else is left
])
def test_the_index_is_asked_for_the_longest_part_without_common_trigrams(term, common, expected):
    assert search.index_part(term, _share(common)) == expected


def test_a_part_that_is_itself_common_is_not_worth_asking_for():
    # Each of its trigrams is uncommon (10 %), but the part's own list would be read whole.
    assert search.index_part("Err17", lambda part: 1.0 if part == "err" else 0.1) is None
    assert search.index_part("Err17", lambda part: 1.0 if part == "err" else 0.01) == "rr17"


def test_like_pattern_takes_wildcards_literally():
    assert search.like_pattern("100%_x/y") == "%100/%/_x//y%"


def test_a_narrowed_search_finds_exactly_what_the_whole_term_finds(db_url, function_client):
    # Every type starts with "Err", as most real ones end in "Error": 'err' is in every row.
    send = function_client("report")
    for n in range(240):
        r = send.post("/api/v1/logs/report", json=runtime(project=f"p{n % 3}", type_=f"Err{n % 60}", line=n,
                                                           message=f"case {n} of Err{n % 60}"))
        assert r.status_code in (200, 201)
    for n in range(3):  # the narrowed part ('rr17') without the whole term: found by the index, not a match
        send.post("/api/v1/logs/report", json=runtime(project="p1", type_="Err5", line=1000 + n, message=f"barr17 {n}"))
    engine = get_engine()
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE errorlog"))
    search.sample.clear()
    with engine.connect() as conn:
        clauses = search.condition("Err17", conn)
    assert len(clauses) == (2 if postgres else 1)  # narrowed to 'r17' only where there is a trigram index
    bugs = function_client("bugs")
    for query in ("?q=Err17", "?q=err17&project_id=p1", "?q=ERR5", "?q=rr1", "?q=Err1&page_size=5&page=2",
                  "?q=Err17&sort=id", "?q=of Err4"):
        body = bugs.get(f"/api/v1/bugs{query}").get_json()
        term = dict(kv.split("=") for kv in query[1:].split("&"))["q"].lower()
        with engine.connect() as conn:
            where = "lower(error_type || ' ' || error_message) LIKE :p" + (" AND project_id = 'p1'" if "p1" in query
                                                                            else "")
            expected = conn.execute(text(f"SELECT count(*) FROM errorlog WHERE {where}"), {"p": f"%{term}%"}).scalar()
        assert body["total"] == expected, query
        assert all(term in f"{b['error_type']} {b['error_message']}".lower() for b in body["items"]), query


def test_a_term_the_sample_expects_past_the_cap_is_only_counted_and_pages_the_same(db_url, function_client, monkeypatch):
    from shared.core import limits

    send = function_client("report")
    for n in range(120):
        send.post("/api/v1/logs/report", json=runtime(project="p", type_=f"Err{n % 30}", line=n, message=f"case {n}"))
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE errorlog"))
    search.sample.clear()
    monkeypatch.setattr(limits, "SEARCH_COUNT_CAP", 5)
    with engine.connect() as conn:  # 'err1' is in 11 of 30 types: ~44 bugs, well past 2 x 5
        assert search.likely_past(conn, "Err1", 5) == (engine.dialect.name == "postgresql")
    bugs = function_client("bugs")
    queries = ["?q=Err1", "?q=Err1&page=3&page_size=2", "?q=Err1&sort=-occurrence_count", "?q=Err1&page=40",
               "?q=case 1"]
    predicted = [bugs.get(f"/api/v1/bugs{q}").get_json() for q in queries]
    monkeypatch.setattr(search, "likely_past", lambda conn, q, cap: False)
    collected = [bugs.get(f"/api/v1/bugs{q}").get_json() for q in queries]
    assert predicted == collected
    assert predicted[0]["total"] == 5 and predicted[0]["total_capped"] is True
    assert predicted[3]["items"] == [] and predicted[1]["items"] != []
