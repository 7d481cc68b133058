"""The dashboard SPA in real Chromium against a live gateway (DESIGN.md "Dashboard")."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.web_e2e.seed import HOSTILE_MESSAGE, api_get, seed

pytestmark = pytest.mark.browser

SOURCE_LABELS = {"runtime": "运行时", "cicd": "CI/CD", "deployment": "部署"}


def rows(page):
    return page.locator("table.bugs-table tbody tr")


def wait_for_rows(page, count: int) -> None:
    expect(rows(page)).to_have_count(count)


def test_source_tabs_change_rows_and_url(page, seeded):
    page.goto(f"{seeded.url}/bugs")
    total = api_get(seeded.url, "/bugs", page_size=100)["total"]
    wait_for_rows(page, total)
    assert {r.get_attribute("data-source") for r in rows(page).all()} == {"runtime", "cicd", "deployment"}

    tabs = page.get_by_role("navigation", name="来源")
    for source, label in SOURCE_LABELS.items():
        tabs.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(rf"/bugs\?source={source}$"))
        expected = api_get(seeded.url, "/bugs", source=source, page_size=100)
        wait_for_rows(page, expected["total"])
        assert [int(r.get_attribute("data-bug-id")) for r in rows(page).all()] == [b["id"] for b in expected["items"]]
        assert {r.get_attribute("data-source") for r in rows(page).all()} == {source}
        expect(tabs.get_by_role("link", name=label, exact=True)).to_have_class(re.compile(r"\bactive\b"))

    tabs.get_by_role("link", name="全部来源").click()
    expect(page).to_have_url(f"{seeded.url}/bugs")
    wait_for_rows(page, total)

    # Back/forward replays the filters; a bookmarked filtered URL loads filtered.
    page.go_back()
    expect(page).to_have_url(re.compile(r"source=deployment$"))
    wait_for_rows(page, api_get(seeded.url, "/bugs", source="deployment")["total"])
    page.goto(f"{seeded.url}/bugs?project_id=web_front&source=cicd")
    expected = api_get(seeded.url, "/bugs", project_id="web_front", source="cicd")
    assert expected["total"] == 1
    wait_for_rows(page, 1)
    expect(rows(page).first).to_have_attribute("data-bug-id", str(expected["items"][0]["id"]))
    expect(page.get_by_role("navigation", name="项目").get_by_role("link", name=re.compile("^web_front"))) \
        .to_have_class(re.compile(r"\bactive\b"))


def test_status_filter_and_search_are_kept_in_the_url(page, seeded):
    page.goto(f"{seeded.url}/bugs?source=runtime")
    page.get_by_role("searchbox").fill("KeyError")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/bugs\?source=runtime&q=KeyError$"))
    wait_for_rows(page, 1)
    expect(rows(page).first).to_have_attribute("data-bug-id", str(seeded.ids["runtime2"]))

    page.goto(f"{seeded.url}/bugs")
    page.locator("select[name=status]").select_option("FIXED")
    expect(page).to_have_url(re.compile(r"/bugs\?status=FIXED$"))
    expect(page.get_by_text("没有符合筛选条件的缺陷。")).to_be_visible()


def test_pagination_is_kept_in_the_url(page, live_gateway):
    gateway = live_gateway()
    for line in range(23):
        assert gateway.report({"project_id": "paged", "error": {"type": "IndexError", "message": f"n{line}",
                                                                "file_path": "app/p.py", "line_number": line}}).ok
    page.goto(f"{gateway.url}/bugs")
    wait_for_rows(page, 20)
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第 1 / 2 页,共 23 条")
    pager.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"/bugs\?page=2$"))
    wait_for_rows(page, 3)
    expect(pager).to_contain_text("第 2 / 2 页")
    page.get_by_role("navigation", name="项目").get_by_role("link", name=re.compile("^paged")).click()
    expect(page).to_have_url(re.compile(r"/bugs\?project_id=paged$"))  # a new filter starts at page 1
    wait_for_rows(page, 20)
    page.goto(f"{gateway.url}/bugs?page=9")
    expect(page.get_by_text("第 9 页没有缺陷")).to_be_visible()


def test_badges_and_file_column(page, seeded):
    page.goto(f"{seeded.url}/bugs")
    wait_for_rows(page, api_get(seeded.url, "/bugs")["total"])
    for row in rows(page).all():
        source = row.get_attribute("data-source")
        badge = row.locator(".source-badge")
        expect(badge).to_have_class(f"source-badge source-{source}")
        expect(badge).to_have_text(SOURCE_LABELS[source])
        bug = api_get(seeded.url, f"/bugs/{row.get_attribute('data-bug-id')}")
        expected_file = f"{bug['file_path']}:{bug['line_number']}" if bug["file_path"] else "-"
        expect(row.locator(".file-cell")).to_have_text(expected_file)
    # The badge colours come from index.css: three different backgrounds.
    colours = {s: page.locator(f"tr[data-source={s}] .source-badge").first.evaluate(
        "el => getComputedStyle(el).backgroundColor") for s in SOURCE_LABELS}
    assert len(set(colours.values())) == 3, colours


def test_runtime_detail(page, seeded):
    bug_id = seeded.ids["runtime"]
    page.goto(f"{seeded.url}/bugs/{bug_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ValueError")
    expect(page.get_by_test_id("meta-source")).to_contain_text("运行时")
    expect(page.get_by_test_id("file-location")).to_contain_text("app/api/orders.py:42")
    expect(page.locator("pre.stack-trace")).to_contain_text('File "app/api/orders.py", line 42')
    expect(page.locator("pre.context-json")).to_contain_text('"request_id": "req-8f1c"')
    expect(page.get_by_test_id("cicd-block")).to_have_count(0)
    expect(page.get_by_test_id("deployment-block")).to_have_count(0)
    expect(page.get_by_role("button", name="触发修复")).to_be_enabled()


def test_cicd_detail(page, seeded):
    page.goto(f"{seeded.url}/bugs/{seeded.ids['cicd']}")
    block = page.get_by_test_id("cicd-block")
    for text in ["Build and deploy", "web", "npm run build", "3b7e2a9", "team/rtc", "lihua"]:
        expect(block.get_by_text(text, exact=True)).to_be_visible()
    link = block.get_by_role("link", name="查看 CI 日志")
    expect(link).to_have_attribute("href", "https://git.example.com/team/rtc/actions/runs/1289")
    expect(link).to_have_attribute("target", "_blank")
    expect(block.locator(".log-tail pre")).to_contain_text("error TS2322")
    expect(page.get_by_test_id("meta-source")).to_contain_text("CI/CD")
    expect(page.get_by_test_id("file-location")).to_have_count(0)
    expect(page.get_by_test_id("deployment-block")).to_have_count(0)


def test_deployment_detail(page, seeded):
    page.goto(f"{seeded.url}/bugs/{seeded.ids['deployment']}")
    block = page.get_by_test_id("deployment-block")
    for text in ["prod", "rtc-backend-7d9f8-x2k4q", "api", "rtc-backend", "14", "Error / 退出码 1", "k3s-node-2"]:
        expect(block.get_by_text(text, exact=True)).to_be_visible()
    expect(block.locator(".log-tail pre")).to_contain_text("could not connect to server")
    expect(page.get_by_test_id("meta-source")).to_contain_text("部署")
    expect(page.get_by_test_id("file-location")).to_have_count(0)
    expect(page.get_by_test_id("cicd-block")).to_have_count(0)


@pytest.mark.parametrize("name", ["cicd", "deployment"])
def test_trigger_repair_is_disabled_for_non_runtime(page, seeded, name):
    page.goto(f"{seeded.url}/bugs/{seeded.ids[name]}")
    button = page.get_by_role("button", name="触发修复")
    expect(button).to_be_disabled()
    expect(page.locator("#repair-hint")).to_contain_text("无法自动修复")
    # ...and the status changer does not offer PENDING_FIX (nor FIXING) for them.
    options = page.locator(".status-changer select option").evaluate_all("os => os.map(o => o.value)")
    assert "PENDING_FIX" not in options and "FIXING" not in options and "IGNORED" in options
    assert api_get(seeded.url, f"/bugs/{seeded.ids[name]}")["status"] == "NEW"


def test_trigger_repair_moves_a_runtime_bug_to_pending_fix(page, seeded):
    bug_id = seeded.ids["repair"]
    assert api_get(seeded.url, f"/bugs/{bug_id}")["status"] == "NEW"
    page.goto(f"{seeded.url}/bugs/{bug_id}")
    button = page.get_by_role("button", name="触发修复")
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_role("status")).to_contain_text("待修复")
    expect(page.locator(".detail-header .status-badge")).to_have_text("待修复")
    expect(button).to_be_disabled()
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    expect(page.locator("table.history tbody tr").first).to_contain_text("新建 → 待修复")

    bug = api_get(seeded.url, f"/bugs/{bug_id}")
    assert bug["status"] == "PENDING_FIX"
    assert bug["history"][0]["to_status"] == "PENDING_FIX"
    pending = api_get(seeded.url, "/tasks/pending", source="runtime")
    assert bug_id in [b["id"] for b in pending["items"]]


def test_status_changer(page, seeded):
    bug_id = seeded.ids["runtime3"]
    page.goto(f"{seeded.url}/bugs/{bug_id}")
    page.locator(".status-changer select").select_option("IGNORED")
    page.locator(".status-changer input[name=note]").fill("重复问题")
    page.get_by_role("button", name="更新状态").click()
    expect(page.locator(".detail-header .status-badge")).to_have_text("已忽略")
    expect(page.locator("table.history tbody tr").first).to_contain_text("重复问题")
    bug = api_get(seeded.url, f"/bugs/{bug_id}")
    assert bug["status"] == "IGNORED" and bug["history"][0]["note"] == "重复问题"


def test_html_in_user_data_is_shown_as_text(page, seeded):
    bug_id = seeded.ids["hostile"]
    page.goto(f"{seeded.url}/bugs?q=RenderError")
    wait_for_rows(page, 1)
    expect(rows(page).first.locator(".error-message")).to_have_text(HOSTILE_MESSAGE)
    page.goto(f"{seeded.url}/bugs/{bug_id}")
    expect(page.locator(".error-message-full")).to_have_text(HOSTILE_MESSAGE)
    expect(page.locator("pre.stack-trace")).to_contain_text("<script>window.__xss=2;alert(2)</script>")
    expect(page.locator("pre.context-json")).to_contain_text("<svg onload=alert(4)>")
    page.wait_for_timeout(300)  # give any injected handler a chance to run
    assert page.locator("main img, main script, main svg:not(.trend-chart), main b").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.probe.dialogs == []
    assert page.probe.errors == []


def test_dashboard_source_distribution_equals_api(page, seeded):
    page.goto(f"{seeded.url}/")
    stats = api_get(seeded.url, "/dashboard/stats")
    for source in SOURCE_LABELS:
        expect(page.get_by_test_id(f"source-count-{source}")).to_have_text(str(stats["source_distribution"][source]))
    assert stats["source_distribution"] == {"runtime": 5, "cicd": 2, "deployment": 2}
    table = page.locator("table.source-distribution tbody tr")
    expect(table).to_have_count(3)
    expect(table.nth(0)).to_contain_text("运行时")
    expect(table.nth(1)).to_contain_text("CI/CD")
    expect(table.nth(2)).to_contain_text("部署")
    expect(page.get_by_test_id("total-bugs")).to_contain_text(str(stats["total_bugs"]))
    expect(page.get_by_test_id("total-occurrences")).to_contain_text(str(stats["total_occurrences"]))
    bars = page.locator(".trend-chart g[data-date]")
    expect(bars).to_have_count(len(stats["trend"]))
    assert [int(b.get_attribute("data-count")) for b in bars.all()] == [p["count"] for p in stats["trend"]]

    # The dashboard's own source filter asks the API for that source only.
    page.get_by_role("navigation", name="来源").get_by_role("link", name="部署").click()
    expect(page).to_have_url(re.compile(r"/\?source=deployment$"))
    filtered = api_get(seeded.url, "/dashboard/stats", source="deployment")
    expect(page.get_by_test_id("total-bugs")).to_contain_text(str(filtered["total_bugs"]))

    # A row of the source table opens the list filtered by that source.
    page.goto(f"{seeded.url}/")
    page.locator("table.source-distribution").get_by_role("link", name="CI/CD").click()
    expect(page).to_have_url(re.compile(r"/bugs\?source=cicd$"))
    wait_for_rows(page, stats["source_distribution"]["cicd"])


def test_unknown_bug_and_unknown_page(page, seeded):
    page.goto(f"{seeded.url}/bugs/999999")
    expect(page.get_by_role("alert")).to_contain_text("未找到")
    page.goto(f"{seeded.url}/nope")
    expect(page.get_by_role("alert")).to_contain_text("页面不存在")


def test_api_down_shows_an_error(page, live_gateway):
    gateway = live_gateway()
    seed(gateway.report, hostile=False)
    page.goto(f"{gateway.url}/bugs")
    wait_for_rows(page, 8)
    gateway.stop()
    page.get_by_role("navigation").get_by_role("link", name="仪表盘").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("无法连接到 API 服务器")
    expect(alert.get_by_role("button", name="重试")).to_be_visible()


def test_server_errors_show_the_api_message(page, seeded):
    def unavailable(route):
        route.fulfill(status=503, content_type="application/json",
                      body='{"error": {"code": "unavailable", "message": "the database is unreachable"}}')

    page.route("**/api/v1/bugs?*", unavailable)
    page.goto(f"{seeded.url}/bugs")
    expect(page.get_by_role("alert")).to_contain_text("API 服务暂时不可用")
    expect(page.get_by_role("alert")).to_contain_text("the database is unreachable")


def test_api_base_url_comes_from_config_js(page, seeded, live_gateway):
    # The API on another origin must allow the dashboard's (same-origin only by default).
    other = live_gateway(env={"LOGCENTER_CORS_ORIGINS": seeded.url})
    other.report({"project_id": "elsewhere", "error": {"type": "OnlyOnTheOtherGateway", "message": "x"}})
    page.route("**/config.js", lambda route: route.fulfill(
        content_type="application/javascript",
        body=f'window.LOGCENTER_CONFIG = {{ apiBaseUrl: "{other.url}/" }};'))
    page.goto(f"{seeded.url}/bugs")
    wait_for_rows(page, 1)
    expect(rows(page).first).to_contain_text("OnlyOnTheOtherGateway")
    expect(page.locator(".api-base")).to_have_text(f"{other.url}/".rstrip("/"))


def test_a_401_asks_for_the_token_once_and_keeps_it(browser, live_gateway):
    gateway = live_gateway(env={"LOGCENTER_API_TOKEN": "s3cret-token"})
    seed(gateway.report, hostile=False)
    assert requests.get(f"{gateway.url}/api/v1/bugs", timeout=10).status_code == 401
    context = browser.new_context()
    try:
        page = context.new_page()
        prompts: list[str] = []

        def answer(dialog):
            prompts.append(dialog.type)
            dialog.accept("s3cret-token")

        page.on("dialog", answer)
        page.goto(f"{gateway.url}/bugs")
        wait_for_rows(page, 8)  # list and projects both got 401 first: one prompt for both
        assert prompts == ["prompt"]
        assert page.evaluate("localStorage.getItem('logcenter.apiToken')") == "s3cret-token"
        page.reload()
        wait_for_rows(page, 8)
        page.get_by_role("navigation").get_by_role("link", name="仪表盘").click()
        stats = requests.get(f"{gateway.url}/api/v1/dashboard/stats", timeout=10,
                             headers={"Authorization": "Bearer s3cret-token"}).json()
        expect(page.get_by_test_id("source-count-runtime")).to_have_text(str(stats["source_distribution"]["runtime"]))
        assert prompts == ["prompt"]
    finally:
        context.close()
