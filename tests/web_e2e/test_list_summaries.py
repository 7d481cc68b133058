"""Lists carry summaries, the bug page the whole bug (issue 11, item 3), in real Chromium: the
list shows the cut message with an ellipsis, and opening the bug fetches all of it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.core import limits

pytestmark = pytest.mark.browser


def test_list_shows_the_summary_and_the_page_the_whole_bug(page, live_gateway, db_url):
    gw = live_gateway(database_url=db_url)
    message = "超长消息 " + "x" * 15_000 + " THE END"
    trace = "Traceback (most recent call last):\n" + "  File \"app/x.py\", line 1, in f\n" * 1500 + "ValueError: END"
    r = gw.report({"project_id": "shop_api", "error": {"type": "ValueError", "message": message,
                                                       "file_path": "app/x.py", "line_number": 1,
                                                       "stack_trace": trace},
                   "context": {"blob": "y" * 60_000}})
    bug_id = r.json()["id"]

    page.goto(f"{gw.url}/bugs")
    cell = page.locator(f"tr[data-bug-id='{bug_id}'] .error-message")
    expect(cell).to_be_visible()
    shown = cell.inner_text()
    assert shown == message[: limits.SUMMARY_MESSAGE] + "…"

    page.locator(f"tr[data-bug-id='{bug_id}'] a.error-type").click()
    expect(page.locator(".error-message-full")).to_have_text(message)
    expect(page.locator("pre.stack-trace")).to_contain_text("ValueError: END")
    assert page.probe.errors == []
