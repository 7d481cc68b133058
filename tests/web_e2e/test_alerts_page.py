"""The 告警 page in real Chromium: a rule made in the form sends a test message and real
alerts to a receiver on loopback, and the deliveries show what happened."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.receiver import Receiver

pytestmark = pytest.mark.browser


def test_a_rule_made_on_the_page_delivers_a_test_and_a_real_alert(page, live_gateway):
    gateway = live_gateway(env={"LOGCENTER_PUBLIC_URL": "https://logs.example.com"})
    with Receiver([(200, {"errcode": 0, "errmsg": "ok"}, 0)]) as robot:
        page.goto(f"{gateway.url}/")
        page.get_by_role("link", name="告警", exact=True).click()
        expect(page).to_have_url(f"{gateway.url}/alerts")
        expect(page.get_by_text("还没有告警规则")).to_be_visible()

        page.get_by_role("button", name="新建规则").click()
        form = page.get_by_role("form", name="新建告警规则")
        form.get_by_label("名称").fill("值班群")
        form.get_by_label("渠道类型").select_option("dingtalk")
        form.get_by_label("Webhook 地址").fill(f"{robot.url}/robot/send?access_token=tok")
        form.get_by_label("加签密钥(可选):以 SEC 开头").fill("SECe2e")
        form.get_by_role("button", name="保存").click()
        row = page.locator("table.alert-rules tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("钉钉 · 127.0.0.1")
        expect(row).to_contain_text("已签名")

        row.get_by_role("button", name="发送测试").click()
        expect(row.get_by_role("status")).to_contain_text("已发送")
        [test] = robot.wait_for(1)
        assert "【测试】" in test.json()["markdown"]["title"]
        query = parse_qs(urlsplit(test.path).query)
        ts = query["timestamp"][0]
        expected = base64.b64encode(hmac.new(b"SECe2e", f"{ts}\nSECe2e".encode(), hashlib.sha256).digest()).decode()
        assert query["sign"] == [expected]

        bug = gateway.report({"project_id": "shop_api", "error": {"type": "KeyError", "message": "cart"}}).json()
        alert = robot.wait_for(2)[1].json()
        assert alert["markdown"]["title"] == "【新缺陷】shop_api · KeyError"
        assert f"https://logs.example.com/bugs/{bug['id']}" in alert["markdown"]["text"]

        deliveries = page.locator("table.alert-deliveries tbody tr")
        page.get_by_role("button", name="刷新").click()
        expect(deliveries).to_have_count(2)
        expect(deliveries.first).to_contain_text("新缺陷")
        expect(deliveries.first).to_contain_text("已发送")
        expect(deliveries.first.get_by_role("link")).to_have_attribute("href", f"/bugs/{bug['id']}")
        expect(deliveries.nth(1)).to_contain_text("测试")

        row.get_by_role("button", name="编辑").click()
        edit = page.get_by_role("form", name="编辑告警规则")
        expect(edit.get_by_label("加签密钥(可选):以 SEC 开头")).to_have_attribute("placeholder", "已设置(留空则保持不变)")
        edit.get_by_label("节流(分钟)").fill("5")
        edit.get_by_role("button", name="保存").click()
        expect(row).to_contain_text("5 分钟")
        row.get_by_role("button", name="发送测试").click()  # the kept secret still signs
        expect(row.get_by_role("status")).to_contain_text("已发送")
        robot.wait_for(3)
        row.get_by_role("button", name="停用").click()
        expect(row).to_contain_text("停用")
    assert page.probe.errors == []
