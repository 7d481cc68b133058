"""The bug page's 最近发生 in real Chromium: each kept occurrence, newest first, expandable."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
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


def test_a_python_sdk_event_shows_chained_frames_with_source_lines_tags_and_breadcrumbs(page, live_gateway, tmp_path):
    gateway = live_gateway()
    registered = requests.post(f"{gateway.url}/api/v1/projects", json={"project_id": "shop"}, timeout=10)
    assert registered.status_code == 201, registered.text
    (tmp_path / "cart.py").write_text("import json\n"
                                      "\n"
                                      "def total(cart):\n"
                                      "    items = cart.get('items')\n"
                                      "    return items[0]['price']\n"
                                      "\n"
                                      "def checkout(cart):\n"
                                      "    return total(cart) * 2\n")
    (tmp_path / "run.py").write_text(
        "import sys\n"
        "import sentry_sdk\n"
        "import cart\n"
        "sentry_sdk.init(dsn=sys.argv[1], release='shop@3.1.0', environment='staging')\n"
        "sentry_sdk.set_tag('region', 'cn-east')\n"
        "sentry_sdk.add_breadcrumb(category='db', message='SELECT * FROM cart WHERE id = 7')\n"
        "try:\n"
        "    try:\n"
        "        cart.checkout({})\n"
        "    except TypeError as exc:\n"
        "        raise ValueError('cannot price the cart') from exc\n"
        "except ValueError:\n"
        "    sentry_sdk.capture_exception()\n"
        "sentry_sdk.flush(10)\n")
    sent = subprocess.run([sys.executable, "run.py", registered.json()["dsn"]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    bugs = requests.get(f"{gateway.url}/api/v1/bugs", params={"project_id": "shop"}, timeout=10).json()["items"]
    assert [b["error_type"] for b in bugs] == ["ValueError"]

    page.goto(f"{gateway.url}/bugs/{bugs[0]['id']}")
    panel = page.get_by_role("region", name="最近发生")
    toggle = panel.locator("button.occurrence-toggle")
    expect(toggle).to_have_count(1)
    expect(toggle).to_contain_text("SDK")
    expect(toggle).to_contain_text("staging · shop@3.1.0")
    toggle.click()
    body = panel.locator(".occurrence-body")
    # Chained: the main exception first, then the one that caused it, each with its frames.
    notes = body.locator(".frame-note")
    expect(notes).to_have_text(["ValueError: cannot price the cart", "TypeError: 'NoneType' object is not subscriptable"])
    failing = body.locator(".frame", has=page.locator(".frame-func", has_text="total"))
    expect(failing.locator(".context-line")).to_have_text(re.compile(r"^5\s+return items\[0\]\['price'\]$"))
    expect(failing.locator(".code-row").first).to_have_text(re.compile(r"^1\s*import json$"))
    expect(failing.locator(".code-row", has_text="def checkout(cart):")).to_have_text(re.compile(r"^7\s*def checkout"))
    expect(failing.locator(".frame-head")).to_contain_text("第 5 行")
    sdk = body.get_by_test_id("sdk-details")
    expect(sdk.locator(".tag", has_text="region")).to_contain_text("cn-east")
    expect(sdk.locator(".sdk-breadcrumbs")).to_contain_text("SELECT * FROM cart WHERE id = 7")
    expect(sdk).to_contain_text("sentry.python")
    assert page.probe.errors == []
