from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from shared.db.engine import get_engine
from shared.db.models import ErrorLog
from shared.timeutil import utcnow
from tests.functions.conftest import cicd, deployment, runtime


def test_stats_unfiltered_and_filtered(send, stats, bugs):
    send(runtime(project="alpha"))
    send(runtime(project="alpha"))
    send({**runtime(project="beta", line=9), "level": "WARNING"})
    send(cicd(project="alpha"))
    dep = send(deployment(project="beta"))["id"]
    bugs.patch(f"/api/v1/bugs/{dep}/status", json={"status": "IGNORED"})

    s = stats.get("/api/v1/dashboard/stats").get_json()
    assert (s["total_bugs"], s["today_bugs"], s["total_occurrences"]) == (4, 4, 5)
    assert s["source_distribution"] == {"runtime": 2, "cicd": 1, "deployment": 1}
    assert s["status_distribution"]["NEW"] == 3 and s["status_distribution"]["IGNORED"] == 1
    assert s["status_distribution"]["FIXING"] == 0
    assert s["level_distribution"] == {"DEBUG": 0, "INFO": 0, "WARNING": 1, "ERROR": 2, "CRITICAL": 1}
    assert s["project_distribution"] == {"alpha": 2, "beta": 2}
    assert len(s["trend"]) == 14 and s["trend"][-1]["count"] == 5 and sum(d["count"] for d in s["trend"]) == 5

    r = stats.get("/api/v1/dashboard/stats?source=runtime").get_json()
    assert r["total_bugs"] == 2 and r["source_distribution"] == {"runtime": 2, "cicd": 0, "deployment": 0}
    assert r["trend"][-1]["count"] == 3
    p = stats.get("/api/v1/dashboard/stats?project_id=beta&source=deployment").get_json()
    assert (p["total_bugs"], p["total_occurrences"], p["trend"][-1]["count"]) == (1, 1, 1)
    assert stats.get("/api/v1/dashboard/stats?source=nope").status_code == 422


def test_empty_database_has_all_keys(stats):
    s = stats.get("/function/stats").get_json()
    assert s["total_bugs"] == 0 and s["source_distribution"] == {"runtime": 0, "cicd": 0, "deployment": 0}
    assert [d["count"] for d in s["trend"]] == [0] * 14
    today = datetime.now(timezone.utc).date()
    assert s["trend"][-1]["date"] == today.isoformat()
    assert s["trend"][0]["date"] == (today - timedelta(days=13)).isoformat()


def test_today_uses_configured_timezone(send, stats, monkeypatch):
    from shared.settings import reset_settings

    bug_id = send(runtime())["id"]
    # First seen 30 hours ago can never be "today", in any zone.
    with get_engine().begin() as conn:
        conn.execute(update(ErrorLog).where(ErrorLog.id == bug_id)
                     .values(first_seen_at=utcnow() - timedelta(hours=30)))
    assert stats.get("/api/v1/dashboard/stats").get_json()["today_bugs"] == 0
    monkeypatch.setenv("LOGCENTER_TIMEZONE", "Asia/Shanghai")
    reset_settings()
    s = stats.get("/api/v1/dashboard/stats").get_json()
    assert s["timezone"] == "Asia/Shanghai"
    shanghai_today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    assert s["trend"][-1]["date"] == shanghai_today
