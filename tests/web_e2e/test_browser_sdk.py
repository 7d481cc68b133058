"""The real @sentry/browser, bundled with esbuild from npm, on a page of ANOTHER origin (a
second loopback port) reports to Log Center with the DSN the 项目 page gives — in real Chromium.

The bundle is built here from tests/web_e2e/browser_sdk (its packages come from
`npm ci` there, which `make browser` — part of `make test` — runs); no CDN is involved.
"""

from __future__ import annotations

import functools
import re
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parent / "browser_sdk"
ESBUILD = FIXTURE / "node_modules" / ".bin" / "esbuild"
MESSAGE = "Cannot read properties of undefined (reading 'map')"


@pytest.fixture(scope="session")
def shop_site(tmp_path_factory):
    """index.html + the bundle, served on a loopback port of its own (a different origin)."""
    if not ESBUILD.exists() or not (FIXTURE / "node_modules" / "@sentry" / "browser").is_dir():
        pytest.fail("the browser SDK fixture's packages are missing: run `make browser` "
                    "(or `npm ci` in tests/web_e2e/browser_sdk)")
    site = tmp_path_factory.mktemp("shop_site")
    (site / "index.html").write_bytes((FIXTURE / "index.html").read_bytes())
    built = subprocess.run([str(ESBUILD), "app.js", "--bundle", "--format=iife", "--target=es2020",
                            f"--outfile={site / 'bundle.js'}", "--log-level=warning"],
                           cwd=FIXTURE, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test's output is not the place for access logs
        pass


def wait_for_bug(gateway, project_id: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = requests.get(f"{gateway.url}/api/v1/bugs", params={"project_id": project_id}, timeout=10).json()["items"]
        if items:
            return requests.get(f"{gateway.url}/api/v1/bugs/{items[0]['id']}", timeout=10).json()
        time.sleep(0.1)
    raise AssertionError(f"no bug for {project_id} after {timeout} s; gateway log: {gateway.log_path}")


def test_browser_sdk_on_another_origin_reports_a_bug(page, live_gateway, shop_site):
    gateway = live_gateway()
    assert shop_site.split(":")[-1] != str(gateway.port)

    # The team registers its project on the 项目 page and takes the DSN from there.
    page.goto(f"{gateway.url}/projects")
    form = page.get_by_role("region", name="为新项目启用 SDK 接入")
    form.get_by_role("textbox", name="项目 ID").fill("web_front")
    form.get_by_role("button", name="启用 SDK 接入").click()
    dsn = page.get_by_test_id("dsn")
    expect(dsn).to_have_text(re.compile(r"^http://[0-9a-f]{32}@"))
    dsn_text = dsn.text_content()
    key, sentry_id = re.fullmatch(r"http://([0-9a-f]{32})@127\.0\.0\.1:\d+/(\d+)", dsn_text).groups()

    shop = page.context.new_page()
    errors: list[str] = []
    shop.on("pageerror", lambda exc: errors.append(str(exc)))
    shop.goto(f"{shop_site}/index.html?{requests.compat.urlencode({'dsn': dsn_text})}")
    shop.wait_for_function("window.__sentryReady === true")
    with shop.expect_response(lambda r: "/envelope/" in r.url and r.request.method == "POST") as sent:
        shop.get_by_role("button", name="结算").click()
    response = sent.value
    assert response.status == 200, response.text()
    assert response.url.startswith(f"{gateway.url}/api/{sentry_id}/envelope/?")
    assert f"sentry_key={key}" in response.url  # the browser SDK's way: the key in the query string
    assert response.request.all_headers().get("origin") == shop_site  # a real cross-origin request
    assert response.headers.get("access-control-allow-origin") == "*"
    assert errors and MESSAGE in errors[0]  # the error was uncaught in the page, as in production

    bug = wait_for_bug(gateway, "web_front")
    assert (bug["error_type"], bug["error_message"]) == ("TypeError", MESSAGE)
    assert (bug["source"], bug["level"], bug["environment"], bug["version"]) == \
        ("runtime", "ERROR", "e2e", "web_front@2.1.0")
    assert bug["file_path"].endswith("bundle.js") and bug["line_number"] > 0
    sentry = bug["context"]["sentry"]
    assert sentry["platform"] == "javascript" and sentry["sdk"]["name"] == "sentry.javascript.browser"
    assert sentry["tags"]["checkout_step"] == "discount"
    assert sentry["request"]["url"].startswith(f"{shop_site}/index.html")
    assert "applyDiscount" in [f.get("function") for f in bug["stack_trace"]]

    # The dashboard shows it: the bug page's 最近发生 with the SDK event's frames and tags.
    page.goto(f"{gateway.url}/bugs/{bug['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("TypeError")
    occurrences = page.get_by_role("region", name="最近发生")
    toggle = occurrences.locator("button.occurrence-toggle")
    expect(toggle).to_have_count(1)
    expect(toggle).to_contain_text("SDK")
    expect(toggle).to_contain_text(MESSAGE)
    toggle.click()
    body = occurrences.locator(".occurrence-body")
    expect(body.locator(".frame-func", has_text="applyDiscount").first).to_be_visible()
    expect(body.get_by_test_id("sdk-details").locator(".tag", has_text="checkout_step")).to_contain_text("discount")
    expect(body.get_by_test_id("sdk-details").locator(".sdk-request")).to_contain_text(f"{shop_site}/index.html")
    assert page.probe.errors == []
