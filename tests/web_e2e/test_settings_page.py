"""The 设置 page in real Chromium: retention settings in force and the last runs."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_settings_page_shows_retention_settings_runs_and_a_dry_run(page, live_gateway):
    gateway = live_gateway(env={"LOGCENTER_RETENTION_DAYS": "45"})
    assert gateway.report({"project_id": "p", "error": {"type": "E"}}).status_code == 201
    run = requests.post(f"{gateway.url}/api/v1/retention/run", timeout=30)
    assert run.status_code == 200 and run.json()["status"] == "ok"

    page.goto(f"{gateway.url}/")
    page.get_by_role("link", name="设置", exact=True).click()
    expect(page).to_have_url(f"{gateway.url}/settings")
    rules = page.locator("table.retention-rules tbody tr")
    expect(rules).to_have_count(6)
    expect(page.locator("tr[data-rule=sent_alerts]")).to_contain_text("告警消息保留 30 天")
    expect(page.locator("tr[data-rule=old_occurrences]")).to_contain_text("超过 45 天的发生记录删除")
    expect(page.locator("tr[data-rule=old_occurrences]")).to_contain_text("LOGCENTER_RETENTION_DAYS")
    runs = page.locator("table.retention-runs tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("完成")
    expect(runs.first).to_contain_text("api")

    page.get_by_role("button", name="试算(不删除)").click()
    expect(page.locator(".retention-dry-run")).to_contain_text("已解决缺陷:0 行")
    assert page.probe.errors == []
