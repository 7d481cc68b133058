"""The 项目 page in real Chromium: register a project for SDKs, copy its DSN, the snippets,
轮换密钥 — against a live gateway, checked through the API and the Sentry ingest route."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def project(gateway, project_id: str) -> dict:
    answer = requests.get(f"{gateway.url}/api/v1/projects/{project_id}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def envelope_status(gateway, dsn: str) -> int:
    """What the Sentry ingest answers an event sent with this DSN's key."""
    found = re.fullmatch(r"http://([0-9a-f]{32})@127\.0\.0\.1:\d+/(\d+)", dsn)
    assert found, dsn
    key, sentry_id = found.groups()
    body = b'{}\n{"type":"event"}\n{"message":"hello from the test","level":"info"}\n'
    return requests.post(f"{gateway.url}/api/{sentry_id}/envelope/", params={"sentry_key": key}, data=body,
                         timeout=10).status_code


def test_register_copy_snippets_and_rotate(page, live_gateway):
    gateway = live_gateway()
    assert gateway.report({"project_id": "web_front", "error": {"type": "TypeError"}}).ok
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway.url)

    page.goto(f"{gateway.url}/")
    page.get_by_role("navigation").get_by_role("link", name="项目", exact=True).click()
    expect(page).to_have_url(f"{gateway.url}/projects")
    row = page.locator("tr[data-project=web_front]")
    expect(row).to_contain_text("未启用")
    row.get_by_role("link", name="未启用").click()
    expect(page).to_have_url(f"{gateway.url}/projects?project=web_front")

    panel = page.get_by_test_id("project-panel")
    panel.get_by_role("textbox", name="代码仓库(可选)").fill("team/web")
    panel.get_by_role("button", name="启用 SDK 接入").click()
    dsn_box = panel.get_by_test_id("dsn")
    expect(dsn_box).to_have_text(re.compile(rf"^http://[0-9a-f]{{32}}@127\.0\.0\.1:{gateway.port}/\d+$"))
    registered = project(gateway, "web_front")
    assert dsn_box.text_content() == registered["dsn"] and registered["repository"] == "team/web"
    expect(panel).to_contain_text("team/web")
    expect(panel.get_by_test_id("project-counts")).to_contain_text("1 / 1 / 1")
    expect(row).to_contain_text(f"已启用(#{registered['sentry_id']})")  # the list reloaded

    panel.get_by_role("button", name="复制 DSN").click()
    expect(panel.locator(".dsn-row").get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == registered["dsn"]

    snippet = panel.get_by_test_id("snippet")
    expect(snippet).to_contain_text(f'sentry_sdk.init(\n    dsn="{registered["dsn"]}",')
    panel.get_by_role("button", name="Node.js").click()
    expect(snippet).to_contain_text('const Sentry = require("@sentry/node");')
    panel.get_by_role("button", name="浏览器").click()
    expect(snippet).to_contain_text('import * as Sentry from "@sentry/browser";')
    expect(snippet).to_contain_text(f'dsn: "{registered["dsn"]}"')
    panel.get_by_role("button", name="复制代码").click()
    expect(panel.locator(".snippet").get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == snippet.text_content()

    # 轮换密钥: asks first; afterwards the old DSN is refused and the new one works.
    old_dsn = registered["dsn"]
    assert envelope_status(gateway, old_dsn) == 200
    panel.get_by_role("button", name="轮换密钥").click()
    expect(panel.get_by_role("alertdialog")).to_contain_text("旧的 DSN 立即失效")
    panel.get_by_role("button", name="取消").click()
    assert project(gateway, "web_front")["dsn"] == old_dsn
    panel.get_by_role("button", name="轮换密钥").click()
    panel.get_by_role("button", name="确认轮换").click()
    expect(panel.get_by_role("status")).to_contain_text("密钥已轮换")
    new_dsn = project(gateway, "web_front")["dsn"]
    assert new_dsn != old_dsn
    expect(dsn_box).to_have_text(new_dsn)
    expect(snippet).to_contain_text(new_dsn)
    expect(panel).to_contain_text("上次轮换密钥")
    assert envelope_status(gateway, old_dsn) == 403
    assert envelope_status(gateway, new_dsn) == 200

    # A project that has never reported is registered from the form and listed.
    form = page.get_by_role("region", name="为新项目启用 SDK 接入")
    form.get_by_role("textbox", name="项目 ID").fill("billing")
    form.get_by_role("button", name="启用 SDK 接入").click()
    expect(page).to_have_url(f"{gateway.url}/projects?project=billing")
    expect(page.get_by_test_id("dsn")).to_have_text(project(gateway, "billing")["dsn"])
    expect(page.locator("tr[data-project=billing]")).to_contain_text("已启用")
    assert page.probe.errors == []
