"""Retention (DESIGN.md): every rule, exact counters, reports arriving mid-run, racing runs."""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from shared.retention import rules
from shared.retention import run as retention
from shared.settings import reset_settings
from shared.timeutil import utcnow
from tests.conftest import ROOT
from tests.functions.conftest import runtime
from tests.support.snapshot import counter_mismatches, stored_rows


@pytest.fixture
def retention_fn(function_client):
    return function_client("retention")


def sql(statement: str, **params):
    with get_engine().begin() as conn:
        return conn.execute(text(statement), params)


def scalar(statement: str, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(statement), params).scalar()


def age(table: str, column: str, days: float, where: str = "1=1", **params):
    sql(f"UPDATE {table} SET {column} = :t WHERE {where}", t=utcnow() - timedelta(days=days), **params)


def set_env(monkeypatch, **values):
    for k, v in values.items():
        monkeypatch.setenv(k, str(v))
    reset_settings()


def test_occurrences_over_a_lowered_cap_go_newest_kept(send, monkeypatch):
    bug = None
    for i in range(6):
        bug = send(runtime(message=f"m{i}"))
    set_env(monkeypatch, LOGCENTER_OCCURRENCES_PER_BUG=2)
    sql("INSERT INTO occurrence (bug_id, seq, created_at) VALUES (987654, 1, :t)", t=utcnow())  # an orphan
    result = retention.run()
    assert result["removed"]["occurrences_over_cap"] == 5
    kept = [r[0] for r in sql("SELECT message FROM occurrence ORDER BY seq")]
    assert kept == ["m4", "m5"]
    assert scalar("SELECT occurrence_count FROM errorlog WHERE id = :i", i=bug["id"]) == 6


def test_old_occurrences_go_each_bug_keeping_its_latest(send):
    a = send(runtime(line=1))["id"]
    send(runtime(line=1))
    b = send(runtime(line=2))["id"]
    age("occurrence", "created_at", 100)
    send(runtime(line=1))  # a fresh one for bug a
    result = retention.run()
    assert result["removed"]["old_occurrences"] == 2  # bug a's two old ones; bug b's only one is its latest
    assert scalar("SELECT count(*) FROM occurrence WHERE bug_id = :b", b=a) == 1
    assert scalar("SELECT count(*) FROM occurrence WHERE bug_id = :b", b=b) == 1


@pytest.mark.parametrize("status, gone", [("FIXED", True), ("VERIFIED", True), ("DEPLOYED", True),
                                          ("IGNORED", True), ("CANNOT_REPRODUCE", True), ("NEW", False),
                                          ("FIX_FAILED", False), ("PENDING_FIX", False)])
def test_resolved_bugs_not_seen_for_long_go_with_their_rows(send, bugs, stats, status, gone):
    old = send(runtime(line=1))["id"]
    send(runtime(line=1))
    recent = send(runtime(line=2))["id"]
    for bug_id in (old, recent):
        assert bugs.patch(f"/api/v1/bugs/{bug_id}/status", json={"status": status, "note": "x"}).status_code == 200
    age("errorlog", "last_seen_at", 181, "id = :i", i=old)
    result = retention.run()
    assert (bugs.get(f"/api/v1/bugs/{old}").status_code == 404) is gone
    assert bugs.get(f"/api/v1/bugs/{recent}").status_code == 200
    left = {t: scalar(f"SELECT count(*) FROM {t} WHERE bug_id = :i", i=old)
            for t in ("occurrence", "errorlog_status_history")}
    assert left == ({"occurrence": 0, "errorlog_status_history": 0} if gone else {"occurrence": 2,
                                                                                   "errorlog_status_history": 1})
    assert result["removed"]["resolved_bugs"] == (4 if gone else 0)  # the bug, 2 occurrences, 1 history row
    totals = stats.get("/api/v1/dashboard/stats").get_json()
    assert totals["total_bugs"] == (1 if gone else 2) and totals["total_occurrences"] == (1 if gone else 3)
    assert counter_mismatches() == {}


def test_day_counters_past_400_days_and_event_ids_past_24_hours(send):
    send(runtime(event_id="a" * 32))
    send(runtime(event_id="b" * 32, line=2))
    sql("UPDATE ingest_event SET created_at = :t WHERE event_id = :e", t=utcnow() - timedelta(hours=25), e="a" * 32)
    today = retention.limits_now().today
    sql("INSERT INTO errorlog_daily (day, project_id, source, bucket, count) VALUES (:d, 'p', 'runtime', 0, 3)",
        d=today - timedelta(days=401))
    sql("INSERT INTO errorlog_daily (day, project_id, source, bucket, count) VALUES (:d, 'p', 'runtime', 0, 3)",
        d=today - timedelta(days=399))
    result = retention.run()
    assert result["removed"]["day_counters"] == 1 and result["removed"]["event_ids"] == 1
    days = sorted({r[0] if not isinstance(r[0], str) else r[0] for r in sql("SELECT day FROM errorlog_daily")})
    assert [str(d) for d in days] == [str(today - timedelta(days=399)), str(today)]
    assert [r[0] for r in sql("SELECT event_id FROM ingest_event")] == ["b" * 32]


def test_sent_alerts_past_30_days_go_pending_ones_stay(send, function_client):
    alerts = function_client("alerts")
    rule = alerts.post("/api/v1/alerts", json={
        "name": "r", "triggers": {"new_bug": True, "regression": True, "spike": {"count": 1, "minutes": 1}},
        "channel": {"type": "webhook", "url": "http://127.0.0.1:9/x"}}).get_json()
    for line in range(4):
        send(runtime(line=line))
        send(runtime(line=line))  # a spike of 1 in a minute: one spike alert each, throttled
    ids = [r[0] for r in sql("SELECT id FROM alert_delivery WHERE kind = 'new_bug' ORDER BY id")]
    assert len(ids) == 4
    for delivery_id, status in zip(ids, ["sent", "failed", "folded", "pending"]):
        sql("UPDATE alert_delivery SET status = :s, created_at = :t WHERE id = :i", s=status, i=delivery_id,
            t=utcnow() - timedelta(days=31))
    sql("UPDATE alert_delivery SET status = 'sent' WHERE kind = 'spike'")  # recent: kept
    throttles = scalar("SELECT count(*) FROM alert_throttle")
    assert throttles == 4 and scalar("SELECT count(*) FROM alert_spike") == 4
    age("alert_throttle", "last_at", 31, "bug_id IN (SELECT bug_id FROM alert_delivery WHERE id IN (:a, :b))",
        a=ids[0], b=ids[1])
    sql("UPDATE alert_spike SET win = win - :n WHERE bug_id = (SELECT bug_id FROM alert_delivery WHERE id = :a)",
        n=31 * 24 * 60, a=ids[0])  # windows of one minute: 31 days ago
    dry = retention.run(dry_run=True)
    result = retention.run()
    assert dry["removed"]["sent_alerts"] == result["removed"]["sent_alerts"] == 3 + 2 + 1
    left = sorted(r[0] for r in sql("SELECT status FROM alert_delivery"))
    assert left == ["pending", "sent", "sent", "sent", "sent"]  # the old pending one and the 4 recent spikes
    assert scalar("SELECT count(*) FROM alert_throttle") == 2 and scalar("SELECT count(*) FROM alert_spike") == 3
    assert alerts.get(f"/api/v1/alerts/{rule['id']}").status_code == 200  # rules are never retention's


def _aged_world(send, bugs, n_resolved: int = 6) -> list[int]:
    ids = []
    for i in range(n_resolved):
        ids.append(send(runtime(line=100 + i))["id"])
        send(runtime(line=100 + i))
        bugs.patch(f"/api/v1/bugs/{ids[-1]}/status", json={"status": "FIXED"})
    age("errorlog", "last_seen_at", 200)
    age("occurrence", "created_at", 120)
    return ids


def test_a_dry_run_counts_exactly_what_a_run_removes_and_changes_nothing(send, bugs):
    _aged_world(send, bugs)
    before = stored_rows()
    dry = retention.run(dry_run=True)
    assert stored_rows() == before
    real = retention.run()
    assert dry["removed"] == real["removed"] and real["total_removed"] > 0


def test_batches_are_small_and_a_report_mid_run_keeps_its_bug(send, bugs, monkeypatch):
    ids = _aged_world(send, bugs)
    monkeypatch.setattr(rules, "bugs_per_batch", lambda lim: 1)
    monkeypatch.setattr(rules, "BATCH", 2)
    seen = []

    def report_between(rule, removed):
        seen.append((rule.name, removed))
        if rule.name == "resolved_bugs" and len([s for s in seen if s[0] == "resolved_bugs"]) == 1:
            assert send(runtime(line=105))["status"] == "NEW"  # the last candidate regresses mid-run

    result = retention.run(between_batches=report_between)
    assert all(removed <= 4 for _, removed in seen)  # 1 bug + 2 occurrences + 1 history per batch at most
    assert bugs.get(f"/api/v1/bugs/{ids[-1]}").get_json()["is_regression"] is True
    assert [bugs.get(f"/api/v1/bugs/{i}").status_code for i in ids[:-1]] == [404] * 5
    assert result["batches"] > 10
    assert counter_mismatches() == {}


def test_the_run_sleeps_between_batches_in_proportion_to_their_time(send, bugs, monkeypatch):
    _aged_world(send, bugs)
    monkeypatch.setattr(rules, "bugs_per_batch", lambda lim: 1)
    monkeypatch.setattr(rules, "BATCH", 2)
    set_env(monkeypatch, LOGCENTER_RETENTION_SLEEP_RATIO="0.5")
    clock = iter(range(0, 10_000, 2))  # every batch takes 2 "seconds"
    monkeypatch.setattr(retention, "_batch_clock", lambda: next(clock))
    slept = []
    monkeypatch.setattr(retention, "_sleep", slept.append)
    result = retention.run()
    # after every batch but each rule's last (a rule ends when its cursor is done)
    assert slept and set(slept) == {1.0} and len(slept) < result["batches"]
    assert result["slept_seconds"] == len(slept) * 1.0
    set_env(monkeypatch, LOGCENTER_RETENTION_SLEEP_RATIO="0")
    slept.clear()
    _aged_world(send, bugs)
    assert retention.run()["total_removed"] > 0 and slept == []
    assert counter_mismatches() == {}


def test_reports_flowing_during_a_run_are_all_counted(report, send, bugs, stats):
    _aged_world(send, bugs, n_resolved=20)
    accepted = []
    stop = threading.Event()

    def flood():
        i = 0
        while not stop.is_set() and i < 300:
            r = report.post("/api/v1/logs/report", json=runtime(project="live", line=i % 7))
            assert r.status_code in (200, 201), r.get_data(as_text=True)
            accepted.append(r)
            i += 1

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        retention.run()
    finally:
        stop.set()
        thread.join()
    live = bugs.get("/api/v1/bugs?project_id=live&page_size=100").get_json()["items"]
    assert sum(b["occurrence_count"] for b in live) == len(accepted)
    assert scalar("SELECT count(*) FROM errorlog WHERE project_id = 'rtc_backend'") == 0
    assert counter_mismatches() == {}


def test_two_runs_racing_remove_everything_once(send, bugs, db_url):
    _aged_world(send, bugs, n_resolved=12)
    expected = retention.run(dry_run=True)["total_removed"]
    results = []

    def go():
        results.append(retention.run(trigger="race"))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["total_removed"] for r in results) == expected
    statuses = sorted(r["status"] for r in results)
    if db_url.startswith("postgresql"):
        assert statuses in (["ok", "ok"], ["ok", "skipped"])  # the lock makes the second wait its turn or skip
    else:
        assert statuses == ["ok", "ok"]
    assert retention.run(dry_run=True)["total_removed"] == 0
    assert counter_mismatches() == {}


def test_on_postgresql_a_run_plans_without_parallel_workers_and_leaves_the_setting_as_it_was(
        send, bugs, db_url, monkeypatch):
    postgres = db_url.startswith("postgresql")  # SQLite has no parallel query: the run just works
    show = text("SHOW max_parallel_workers_per_gather")
    _aged_world(send, bugs)
    seen = []
    rule = rules.RULES[0]
    real = rule.delete_batch

    def watched(conn, lim, cursor):
        if postgres:
            seen.append(conn.execute(show).scalar())
        return real(conn, lim, cursor)

    monkeypatch.setattr(rule, "delete_batch", watched)
    if postgres:
        with get_engine().connect() as conn:
            default = conn.execute(show).scalar()
    assert retention.run()["total_removed"] > 0
    if postgres:
        assert seen and set(seen) == {"0"}
        with get_engine().connect() as conn:  # the pool hands back the run's own connection
            assert conn.execute(show).scalar() == default
    assert counter_mismatches() == {}


def test_api_runs_counts_and_reports_the_settings_and_last_run(send, bugs, retention_fn, monkeypatch):
    set_env(monkeypatch, LOGCENTER_RETENTION_DAYS=30)
    _aged_world(send, bugs, n_resolved=2)
    dry = retention_fn.post("/api/v1/retention/run?dry_run=true")
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True and dry.get_json()["total_removed"] > 0
    cron = retention_fn.post("/", headers={"X-Connector": "cron-connector", "X-Topic": "cron-function"})
    assert cron.status_code == 200 and cron.get_json()["trigger"] == "cron-connector"
    status = retention_fn.get("/api/v1/retention").get_json()
    assert [s["rule"] for s in status["settings"]] == [r.name for r in rules.RULES]
    described = {r["rule"]: r["description"] for r in status["settings"]}
    assert "30 days" in described["old_occurrences"] and "180 days" in described["resolved_bugs"]
    [last] = status["last_runs"]  # dry runs are not recorded
    assert last["removed"] == cron.get_json()["removed"] and last["status"] == "ok"
    assert retention_fn.post("/api/v1/retention/run?dry_run=maybe").status_code == 422


def test_the_api_needs_the_token_when_one_is_set(retention_fn, monkeypatch):
    set_env(monkeypatch, LOGCENTER_API_TOKEN="tok")
    assert retention_fn.post("/").status_code == 401
    assert retention_fn.get("/api/v1/retention").status_code == 401
    assert retention_fn.post("/", headers={"Authorization": "Bearer tok"}).status_code == 200


def test_the_command_line_dry_run_prints_what_it_would_remove(send, bugs, db_url):
    _aged_world(send, bugs, n_resolved=3)
    out = subprocess.run([sys.executable, "-m", "functions.retention", "--dry-run"], cwd=ROOT, capture_output=True,
                         text=True, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin",
                                         "LOGCENTER_SECRETS_DIR": "/nonexistent"}, check=True)
    assert "resolved_bugs          would remove        12" in out.stdout  # 3 bugs, 6 occurrences, 3 history rows
    assert scalar("SELECT count(*) FROM errorlog") == 3
