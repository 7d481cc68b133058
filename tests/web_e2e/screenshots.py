"""Screenshots of the dashboard's pages for the docs, with light data of all three sources.

    make web && .venv/bin/python -m tests.web_e2e.screenshots [out-dir]

Starts its own gateway on a throw-away SQLite file, seeds it through the report route
(tests/web_e2e/seed.py, without the hostile sample), registers one project for SDKs, and
writes dashboard.png, bug-list.png, bug-detail.png (a CI/CD bug), bug-occurrences.png (a
runtime bug's 最近发生, one expanded), projects.png, and releases.png / release.png (a small
release story of project shop: a CI failure, a deploy, a crash and runtime bugs) to
docs/screenshots/ by default.
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
        version = seed_release_story(gateway.url)
        page.goto(f"{gateway.url}/releases?project=shop")
        expect(page.locator("li.release-row")).to_have_count(3)
        page.screenshot(path=out / "releases.png", full_page=True)
        page.goto(f"{gateway.url}/releases/shop/{version}")
        expect(page.locator('[data-list="new_runtime_bugs"] tbody tr')).to_have_count(2)
        page.screenshot(path=out / "release.png", full_page=True)
        browser.close()
    for name in ("dashboard", "bug-list", "bug-detail", "bug-occurrences", "projects", "releases", "release"):
        print(out / f"{name}.png")


def seed_release_story(base_url: str) -> str:
    """Project shop: 1.3.0 with a bug fixed since; commit A fails CI; commit B is deployed to
    staging and production, crashes on its image and brings two new bugs and the old one back.
    Returns B's version."""
    sha_a, sha_b = "a0c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9", "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912"

    def post(path: str, body: dict) -> dict:
        r = requests.post(base_url + path, json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def runtime(type_: str, file: str, **extra) -> dict:
        return post("/api/v1/logs/report", {"project_id": "shop", "environment": "production", **extra,
                                            "error": {"type": type_, "message": "boom", "file_path": file,
                                                      "line_number": 7}})

    old = runtime("TimeoutError", "shop/pay.py", version="1.3.0")
    requests.patch(f"{base_url}/api/v1/bugs/{old['id']}/status", json={"status": "FIXED"}, timeout=10)
    post("/api/v1/logs/report", {"project_id": "shop", "source": "cicd", "commit_hash": sha_a,
                                 "error": {"type": "TestFailure", "message": "1 failed, 41 passed"},
                                 "context": {"job_name": "build", "step_name": "pytest"}})
    for environment in ("staging", "production"):
        post("/api/v1/deploys", {"project_id": "shop", "environment": environment, "version": "1.4.0",
                                 "commit_sha": sha_b, "actor": "alice",
                                 "url": "https://gitea.example.com/team/shop/actions/runs/102"})
    post("/api/v1/logs/report", {"project_id": "shop", "source": "deployment", "level": "CRITICAL",
                                 "version": sha_b[:7], "environment": "production",
                                 "error": {"type": "CrashLoopBackOff", "message": "back-off restarting app"},
                                 "context": {"namespace": "shop", "deployment_name": "api", "pod_name": "api-1",
                                             "restart_count": 5, "reason": "CrashLoopBackOff"}})
    runtime("KeyError", "shop/cart.py", commit_hash=sha_b[:7])
    runtime("ValueError", "shop/order.py", commit_hash=sha_b[:7])
    runtime("TimeoutError", "shop/pay.py", commit_hash=sha_b[:7])
    return "1.4.0"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
