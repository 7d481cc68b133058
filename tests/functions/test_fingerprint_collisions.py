"""A report of one source never lands on another source's bug (issue 11, item 2): the
fingerprint's parts are encoded unambiguously, and a conflict never rewrites `source`."""

import pytest

from tests.functions.conftest import cicd, deployment, runtime


def test_crafted_runtime_report_does_not_hijack_a_cicd_bug(send, bugs, stats, tasks):
    ci = send(cicd(project="shop", job="lint", step="", type_="LintError"))
    crafted = send(runtime(project="shop", type_="cicd|LintError", file_path="lint", line=None))
    assert crafted["id"] != ci["id"] and crafted["is_new"]
    ci_bug = bugs.get(f"/api/v1/bugs/{ci['id']}").get_json()
    assert ci_bug["source"] == "cicd" and ci_bug["occurrence_count"] == 1
    assert stats.get("/api/v1/dashboard/stats").get_json()["source_distribution"] == \
        {"runtime": 1, "cicd": 1, "deployment": 0}
    assert bugs.get("/api/v1/bugs?source=cicd").get_json()["total"] == 1
    pending = tasks.get("/api/v1/tasks/pending?source=runtime").get_json()["items"]
    assert [b["id"] for b in pending] == [crafted["id"]]  # the CI/CD bug never becomes claimable


@pytest.mark.parametrize("deploy, crafted", [
    # joined with `|` these spelled "shop|deployment|OOMKilled|prod|7", the deployment bug's key
    ("7", runtime(project="shop", type_="deployment|OOMKilled", file_path="prod", line=7)),
    ("api", runtime(project="shop", type_="deployment|OOMKilled|prod|api", file_path=None, line=None)),
])
def test_crafted_runtime_report_does_not_hijack_a_deployment_bug(send, bugs, deploy, crafted):
    dep = send(deployment(project="shop", ns="prod", deploy=deploy, type_="OOMKilled", reason="OOMKilled"))
    got = send(crafted)
    assert got["id"] != dep["id"]
    assert bugs.get(f"/api/v1/bugs/{dep['id']}").get_json()["source"] == "deployment"


def test_cicd_and_deployment_parts_that_spell_each_other_stay_apart(send):
    a = send(cicd(project="p", job="deployment", step="x", type_="E"))
    b = send({"project_id": "p", "source": "deployment", "error": {"type": "E"},
              "context": {"namespace": "deployment", "deployment_name": "x"}})
    assert a["id"] != b["id"]
