"""Browser tests: the built SPA served by a live gateway, driven in Debian's Chromium.

They fail (never skip) when web/dist is missing or stale or when Chromium is missing:
`make test` builds the SPA (`make web`) and installs Chromium (`scripts/ensure-chromium.sh`).
One browser for the whole session; each test gets a fresh context (empty localStorage).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.gateway import LiveGateway
from tests.web_e2e.seed import seed

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST_INDEX = WEB / "dist" / "index.html"
CHROMIUM = os.environ.get("LOGCENTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _newest_source_mtime() -> float:
    paths = [WEB / "index.html", WEB / "package.json", WEB / "vite.config.ts"]
    for folder in (WEB / "src", WEB / "public"):
        paths += [p for p in folder.rglob("*") if p.is_file() and ".test." not in p.name]
    return max(p.stat().st_mtime for p in paths if p.exists())


@pytest.fixture(scope="session")
def web_dist() -> Path:
    if not DIST_INDEX.exists():
        pytest.fail(f"{DIST_INDEX} is missing: build the dashboard first (`make web`, or `cd web && npm ci && npm run build`)")
    if _newest_source_mtime() > DIST_INDEX.stat().st_mtime:
        pytest.fail("web/dist is older than web/src: rebuild it (`make web`, or `cd web && npm run build`)")
    return DIST_INDEX.parent


@pytest.fixture(scope="session")
def browser(web_dist) -> Browser:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `bash scripts/ensure-chromium.sh` "
                    "(apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProbe:
    """What a page did that a test may want to assert on."""

    def __init__(self, page: Page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.probe = PageProbe(page)
    yield page
    context.close()


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, web_dist):
    """One gateway for the read-mostly tests, seeded with bugs of every source."""
    tmp = tmp_path_factory.mktemp("web_e2e")
    gateway = LiveGateway(f"sqlite:///{tmp / 'logcenter.db'}", log_path=tmp / "gateway.log").start()
    try:
        gateway.ids = seed(gateway.report)
        yield gateway
    finally:
        gateway.stop()

