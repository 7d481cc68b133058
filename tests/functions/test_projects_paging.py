"""Lists that grow with what clients send (issue 11, item 4): 30,000 project ids made
`/api/v1/projects` 3.6 MB and stats' `project_distribution` 440 KB. The list is paged (with a
total and a search), the distribution names the top 20 and sums the others."""

from __future__ import annotations

import pytest

from shared.core import limits
from tests.functions.conftest import runtime
from tests.support.bulk import insert_projects

MANY = 30_000


@pytest.fixture
def many_projects(send):
    insert_projects(MANY)
    for n in range(5):
        send(runtime(project="big_one", type_=f"E{n}"))
    for n in range(3):
        send(runtime(project="big_two", type_=f"E{n}"))
    return MANY + 2


def test_projects_list_is_paged_with_a_total(projects, many_projects):
    r = projects.get("/api/v1/projects")
    body = r.get_json()
    assert body["total"] == many_projects
    assert len(body["items"]) == limits.DEFAULT_PROJECTS_PAGE_SIZE and body["page"] == 1
    assert len(r.data) < 20_000, len(r.data)  # was 3.6 MB
    assert [p["project_id"] for p in body["items"][:2]] == ["big_one", "big_two"]  # name order by default

    biggest = projects.get("/api/v1/projects?sort=-bug_count&page_size=3").get_json()
    assert [(p["project_id"], p["bug_count"]) for p in biggest["items"]] == [
        ("big_one", 5), ("big_two", 3), ("proj100000", 1)]
    assert biggest["total"] == many_projects

    found = projects.get("/api/v1/projects?q=PROJ12999").get_json()
    assert found["total"] == 10 and [p["project_id"] for p in found["items"]][:2] == ["proj129990", "proj129991"]
    assert projects.get("/api/v1/projects?q=100%25").get_json()["total"] == 0  # `%` is literal, not a wildcard

    last = projects.get(f"/api/v1/projects?page_size={limits.MAX_PROJECTS_PAGE_SIZE}&page=61").get_json()
    assert len(last["items"]) == many_projects - 60 * limits.MAX_PROJECTS_PAGE_SIZE
    assert projects.get("/api/v1/projects?page=1000").get_json()["items"] == []


def test_stats_name_the_top_projects_and_sum_the_others(stats, many_projects):
    r = stats.get("/api/v1/dashboard/stats")
    body = r.get_json()
    assert len(r.data) < 5_000, len(r.data)  # was 440 KB
    top = body["project_distribution"]
    assert len(top) == limits.PROJECT_DISTRIBUTION_TOP
    assert list(top.items())[:3] == [("big_one", 5), ("big_two", 3), ("proj100000", 1)]
    assert body["project_count"] == many_projects
    others = body["project_distribution_others"]
    assert others == {"projects": many_projects - limits.PROJECT_DISTRIBUTION_TOP,
                      "bugs": body["total_bugs"] - sum(top.values())}
    assert body["total_bugs"] == MANY + 8


def test_pages_cover_every_project_once(send, projects):
    names = [f"p{n:02d}" for n in range(25)]
    for n, name in enumerate(names):
        for k in range(n % 4 + 1):
            send(runtime(project=name, type_=f"E{k}"))
    for sort in ("project_id", "-project_id", "-bug_count", "bug_count", "-last_seen_at", "open_count"):
        seen = []
        for page in range(1, 5):
            seen += [p["project_id"] for p in projects.get(f"/api/v1/projects?sort={sort}&page_size=7&page={page}")
                     .get_json()["items"]]
        assert sorted(seen) == names, sort
    counts = [p["bug_count"] for p in projects.get("/api/v1/projects?sort=-bug_count&page_size=25").get_json()["items"]]
    assert counts == sorted(counts, reverse=True)


def test_few_projects_have_no_others(send, stats):
    send(runtime(project="a"))
    send(runtime(project="b", type_="E2"))
    body = stats.get("/api/v1/dashboard/stats?project_id=a").get_json()
    assert body["project_distribution"] == {"a": 1} and body["project_count"] == 1
    assert body["project_distribution_others"] == {"projects": 0, "bugs": 0}


@pytest.mark.parametrize("query, field", [("page_size=501", "page_size"), ("page_size=0", "page_size"),
                                          ("page=0", "page"), ("sort=error_message", "sort"),
                                          ("sort=-fingerprint", "sort")])
def test_bad_paging_is_a_422(projects, query, field):
    r = projects.get(f"/api/v1/projects?{query}")
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == field


def test_registered_projects_without_bugs_are_paged_with_the_rest(send, projects):
    for name in ("a_bugs", "c_bugs"):
        send(runtime(project=name))
    for name in ("b_registered", "c_bugs", "d_registered"):
        assert projects.post("/api/v1/projects", json={"project_id": name}).status_code in (200, 201)
    seen = []
    for page in (1, 2, 3):
        body = projects.get(f"/api/v1/projects?page_size=2&page={page}").get_json()
        assert body["total"] == 4
        seen += body["items"]
    assert [p["project_id"] for p in seen] == ["a_bugs", "b_registered", "c_bugs", "d_registered"]
    assert [("sentry_id" in p, p["bug_count"]) for p in seen] == [(False, 1), (True, 0), (True, 1), (True, 0)]
    found = projects.get("/api/v1/projects?q=REGIST&sort=-bug_count").get_json()
    assert [p["project_id"] for p in found["items"]] == ["b_registered", "d_registered"] and found["total"] == 2
    only_runtime = projects.get("/api/v1/projects?source=runtime").get_json()  # registered-only need bugs then
    assert [p["project_id"] for p in only_runtime["items"]] == ["a_bugs", "c_bugs"]


@pytest.mark.parametrize("project_id", ["p1\n", "p1\r\n"])
def test_registering_a_project_id_with_a_trailing_newline_is_refused(projects, project_id):
    r = projects.post("/api/v1/projects", json={"project_id": project_id})
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == "project_id"
