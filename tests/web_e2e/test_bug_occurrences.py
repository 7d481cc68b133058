"""The bug page's 最近发生 in real Chromium: each kept occurrence, newest first, expandable."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_recent_occurrences_expand_to_what_each_report_sent(page, live_gateway):
    gateway = live_gateway(env={"LOGCENTER_OCCURRENCES_PER_BUG": "3"})
    base = {"project_id": "shop", "error": {"type": "ValueError", "file_path": "shop/cart.py", "line_number": 12}}
    for n, env in enumerate(["staging", "production", "production", "canary"]):
        answer = gateway.report({**base, "environment": env, "version": f"1.0.{n}", "commit_hash": f"abc{n}def",
                                 "error": {**base["error"], "message": f"bad price #{n}",
                                           "stack_trace": f"Traceback #{n}\n  File \"shop/cart.py\", line 12"},
                                 "context": {"order": f"o-{n}"}})
        assert answer.ok, answer.text
    bug_id = answer.json()["id"]

    page.goto(f"{gateway.url}/bugs/{bug_id}")
    panel = page.get_by_role("region", name="最近发生")
    expect(panel.get_by_test_id("occurrence-summary")).to_have_text("共发生 4 次,保留最近 3 条记录。")
    toggles = panel.locator("button.occurrence-toggle")
    expect(toggles).to_have_count(3)
    expect(toggles.nth(0)).to_contain_text("bad price #3")
    expect(toggles.nth(0)).to_contain_text("canary · 1.0.3")
    expect(toggles.nth(2)).to_contain_text("bad price #1")  # #0 is past the cap of 3
    expect(panel.get_by_text("bad price #0")).to_have_count(0)
    expect(toggles.nth(1)).to_have_attribute("aria-expanded", "false")

    toggles.nth(1).click()
    expect(toggles.nth(1)).to_have_attribute("aria-expanded", "true")
    body = panel.locator(".occurrence-body")
    expect(body).to_have_count(1)
    expect(body.get_by_text("abc2def", exact=True)).to_be_visible()
    expect(body.locator("pre.stack-trace")).to_contain_text("Traceback #2")
    expect(body.locator("pre.context-json")).to_contain_text('"order": "o-2"')
    toggles.nth(1).click()
    expect(body).to_have_count(0)

    # A new report while the page is open shows after a reload, newest first.
    assert gateway.report({**base, "error": {**base["error"], "message": "bad price #4"}}).ok
    page.reload()
    expect(toggles.nth(0)).to_contain_text("bad price #4")
    expect(panel.get_by_test_id("occurrence-summary")).to_have_text("共发生 5 次,保留最近 3 条记录。")
    assert page.probe.errors == []
