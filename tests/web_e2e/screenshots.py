"""Screenshots of the dashboard's pages for the docs, with light data of all three sources.

    make web && .venv/bin/python -m tests.web_e2e.screenshots [out-dir]

Starts its own gateway on a throw-away SQLite file, seeds it through the report route
(tests/web_e2e/seed.py, without the hostile sample), registers one project for SDKs, and
writes dashboard.png, bug-list.png, bug-detail.png (a CI/CD bug), bug-occurrences.png (a
runtime bug's 最近发生, one expanded) and projects.png to docs/screenshots/ by default.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

from tests.support.gateway import LiveGateway
from tests.web_e2e.seed import seed

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LOGCENTER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: Path) -> None:
    if not (ROOT / "web" / "dist" / "index.html").exists():
        sys.exit("web/dist is missing: run `make web` first")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, \
            LiveGateway(f"sqlite:///{tmp}/shots.db", log_path=Path(tmp) / "gateway.log") as gateway, \
            sync_playwright() as playwright:
        ids = seed(gateway.report, hostile=False)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                timezone_id="Asia/Shanghai")
        page.goto(f"{gateway.url}/")
        expect(page.get_by_test_id("source-count-cicd")).to_have_text("2")
        page.screenshot(path=out / "dashboard.png", full_page=True)
        page.goto(f"{gateway.url}/bugs")
        expect(page.locator("table.bugs-table tbody tr")).to_have_count(8)
        page.screenshot(path=out / "bug-list.png", full_page=True)
        page.goto(f"{gateway.url}/bugs/{ids['cicd']}")
        expect(page.get_by_test_id("cicd-block")).to_be_visible()
        page.screenshot(path=out / "bug-detail.png", full_page=True)
        page.goto(f"{gateway.url}/bugs/{ids['runtime']}")
        occurrences = page.get_by_role("region", name="最近发生")
        occurrences.locator("button.occurrence-toggle").first.click()
        occurrences.screenshot(path=out / "bug-occurrences.png")
        registered = requests.post(f"{gateway.url}/api/v1/projects",
                                   json={"project_id": "rtc_backend", "repository": "team/rtc"}, timeout=10)
        registered.raise_for_status()
        page.goto(f"{gateway.url}/projects?project=rtc_backend")
        expect(page.get_by_test_id("dsn")).to_have_text(registered.json()["dsn"])
        page.screenshot(path=out / "projects.png", full_page=True)
        browser.close()
    for name in ("dashboard", "bug-list", "bug-detail", "bug-occurrences", "projects"):
        print(out / f"{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
