"""The 版本 page in real Chromium: a release timeline drawn from deploys and reports, a
release's page, and the links both ways between a release and its bugs."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHA_A = "a0c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9"
SHA_B = "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912"
RUN = "https://gitea.example.com/team/shop/actions/runs/102"


def post(gateway, path: str, body: dict) -> dict:
    r = requests.post(f"{gateway.url}{path}", json=body, timeout=10)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_the_release_story_on_the_releases_page_and_back(page, live_gateway):
    gw = live_gateway()
    post(gw, "/api/v1/logs/report", {"project_id": "shop", "source": "cicd", "commit_hash": SHA_A,
                                     "error": {"type": "TestFailure", "message": "1 failed"},
                                     "context": {"job_name": "build", "step_name": "pytest"}})
    post(gw, "/api/v1/deploys", {"project_id": "shop", "environment": "production", "commit_sha": SHA_B,
                                 "url": RUN, "actor": "alice"})
    post(gw, "/api/v1/logs/report", {"project_id": "shop", "source": "deployment", "version": SHA_B[:7],
                                     "environment": "production", "level": "CRITICAL",
                                     "error": {"type": "CrashLoopBackOff", "message": "back-off"},
                                     "context": {"namespace": "shop", "deployment_name": "api", "pod_name": "api-1",
                                                 "restart_count": 3, "reason": "CrashLoopBackOff"}})
    bug = post(gw, "/api/v1/logs/report", {"project_id": "shop", "commit_hash": SHA_B[:7], "environment": "production",
                                           "error": {"type": "KeyError", "message": "'PAYMENT_URL'",
                                                     "file_path": "shop/cart.py", "line_number": 7}})

    page.goto(f"{gw.url}/")
    page.get_by_role("link", name="版本", exact=True).click()
    expect(page).to_have_url(f"{gw.url}/releases")
    rows = page.locator("li.release-row")
    expect(rows).to_have_count(2)
    b, a = rows.nth(0), rows.nth(1)
    expect(b.locator('[data-mark="deployment_errors"]')).to_have_text("✗ 部署 1")
    expect(b.locator('[data-mark="new_runtime_bugs"]')).to_have_text("新缺陷 1")
    expect(b.locator('[data-mark="regressions"]')).to_have_text("回归 0")
    expect(b.locator('[data-environment="production"]')).to_contain_text("alice")
    expect(b.get_by_role("link", name="运行记录")).to_have_attribute("href", RUN)
    expect(a.locator('[data-mark="cicd_failures"]')).to_have_text("✗ CI 1")
    expect(a).to_contain_text("未部署")

    # Only production: the release that only failed CI is not there.
    page.get_by_placeholder("全部环境").fill("production")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(f"{gw.url}/releases?environment=production")
    expect(rows).to_have_count(1)

    # The release's page lists the deploy and both bugs; from a bug, back to its release.
    rows.first.get_by_role("link", name=SHA_B[:7]).click()
    expect(page).to_have_url(f"{gw.url}/releases/shop/{SHA_B}")
    expect(page.get_by_role("heading", name=f"版本 {SHA_B[:7]}")).to_be_visible()
    expect(page.locator("table.release-deploys-table tbody tr")).to_have_count(1)
    expect(page.locator('[data-list="deployment_errors"] tbody tr')).to_have_count(1)
    page.locator('[data-list="new_runtime_bugs"]').get_by_role("link", name=f"#{bug['id']} KeyError").click()
    expect(page).to_have_url(f"{gw.url}/bugs/{bug['id']}")
    suspect = page.get_by_test_id("meta-suspect-deploy")
    expect(suspect).to_contain_text("部署到 production")
    expect(suspect.get_by_role("link", name="运行记录")).to_have_attribute("href", RUN)
    page.get_by_test_id("meta-release").get_by_role("link", name=SHA_B[:7]).click()
    expect(page).to_have_url(f"{gw.url}/releases/shop/{SHA_B}")
    # A reload of the release's own address loads the page (the gateway serves the SPA there).
    page.reload()
    expect(page.locator('[data-list="new_runtime_bugs"] tbody tr')).to_have_count(1)
    assert page.probe.errors == []
