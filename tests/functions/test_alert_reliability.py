"""Alerts under stress, on both databases: a storm of one bug, a hung channel, two notify
passes racing, the report's poke, and a gateway killed with SIGKILL right after a report."""

import signal
import statistics
import threading
import time

import requests
from sqlalchemy import event, text

from shared.alerts import deliver
from shared.db.engine import get_engine
from shared.settings import reset_settings
from tests.functions.conftest import runtime
from tests.support.gateway import LiveGateway
from tests.support.receiver import Receiver

OK = (200, {"errcode": 0, "errmsg": "ok"}, 0)


def make_rule(client, url, **overrides):
    body = {"name": "r", "channel": {"type": "webhook", "url": url}, **overrides}
    r = client.post("/api/v1/alerts", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def rows(sql, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def _no_commit_flush(engine):
    """This test is about the throttle's atomicity, not durability: PostgreSQL commits
    without waiting for the disk (10,000 fsyncs would be most of the test's time)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", lambda dbapi_conn, _rec: _set_async_commit(dbapi_conn))
        engine.dispose()


def _set_async_commit(dbapi_conn):  # noqa: ANN001
    cursor = dbapi_conn.cursor()
    cursor.execute("SET synchronous_commit = off")
    cursor.close()


def test_a_storm_of_10000_reports_of_one_bug_sends_one_message_per_rule(function_client):
    _no_commit_flush(get_engine())
    alerts = function_client("alerts")
    with Receiver([OK]) as new_rx, Receiver([OK]) as spike_rx:
        make_rule(alerts, new_rx.url)  # new bug and regression
        make_rule(alerts, spike_rx.url, triggers={"new_bug": False, "regression": False,
                                                  "spike": {"count": 100, "minutes": 5}}, throttle_minutes=60)
        errors = []

        def storm(n):
            client = function_client("report")  # one in-process client per thread
            for _ in range(n):
                r = client.post("/api/v1/logs/report", json=runtime())
                if r.status_code not in (200, 201):
                    errors.append(r.status_code)

        threads = [threading.Thread(target=storm, args=(2500,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert rows("SELECT occurrence_count FROM errorlog")[0][0] == 10_000
        assert sorted(r.kind for r in rows("SELECT kind FROM alert_delivery")) == ["new_bug", "spike"]
        deliver.run()
        time.sleep(0.2)
        assert [r.json()["event"] for r in new_rx.requests] == ["new_bug"]
        assert [r.json()["event"] for r in spike_rx.requests] == ["spike"]


def test_two_notify_passes_racing_never_send_twice(function_client, monkeypatch):
    monkeypatch.setenv("LOGCENTER_NOTIFY_PER_MINUTE", "1000")
    reset_settings()
    alerts, report = function_client("alerts"), function_client("report")
    slow = (200, {"errcode": 0}, 0.02)
    with Receiver([slow]) as a, Receiver([slow]) as b, Receiver([slow]) as c:
        for rx in (a, b, c):
            make_rule(alerts, rx.url)
        for line in range(40):
            assert report.post("/api/v1/logs/report", json=runtime(line=line)).status_code == 201
        results = []

        def notify_instance():
            for _ in range(20):
                results.append(deliver.run())
                if not rows("SELECT id FROM alert_delivery WHERE status <> 'sent'"):
                    return

        threads = [threading.Thread(target=notify_instance) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for rx in (a, b, c):
            bugs = [r.json()["bug"]["id"] for r in rx.requests]
            assert len(bugs) == 40 and len(set(bugs)) == 40, "each alert once per channel"
    assert sum(r["sent"] for r in results) == 120
    assert {r.status for r in rows("SELECT status FROM alert_delivery")} == {"sent"}


def test_a_hung_receiver_leaves_report_latency_unchanged(function_client):
    alerts, report = function_client("alerts"), function_client("report")

    def latencies(offset):
        out = []
        for line in range(offset, offset + 15):
            start = time.perf_counter()
            assert report.post("/api/v1/logs/report", json=runtime(line=line)).status_code == 201
            out.append(time.perf_counter() - start)
        return out

    with Receiver([(200, b"", 30)]) as hung:
        idle = latencies(0)
        make_rule(alerts, hung.url)
        worker_done = threading.Event()

        def notify_stuck():  # a notify pass waiting on the hung channel (10 s timeout)
            deliver.run()
            worker_done.set()

        latencies(100)  # alerts pending
        stuck = threading.Thread(target=notify_stuck, daemon=True)
        stuck.start()
        hung.wait_for(1)
        busy = latencies(200)
        assert not worker_done.is_set(), "the pass is still waiting on the channel"
        stuck.join(20)  # its 10 s timeout ends it, before this test's database goes away
    assert max(busy) < 2.0
    assert statistics.median(busy) < statistics.median(idle) * 3 + 0.05


def test_the_report_pokes_notify_asynchronously_with_its_ingest_token(function_client, monkeypatch):
    with Receiver([(202, b"", 30)]) as gateway:  # an async endpoint that never answers in time
        monkeypatch.setenv("LOGCENTER_NOTIFY_URL", gateway.url + "/async-function/notify")
        monkeypatch.setenv("LOGCENTER_INGEST_TOKEN", "ing3st")
        reset_settings()
        alerts, report = function_client("alerts"), function_client("report")
        make_rule(alerts, "http://127.0.0.1:9/x")
        start = time.perf_counter()
        r = report.post("/api/v1/logs/report", json=runtime(), headers={"Authorization": "Bearer ing3st"})
        assert r.status_code == 201 and time.perf_counter() - start < 1.0
        [poke] = gateway.wait_for(1)
        assert poke.path == "/async-function/notify" and poke.headers["authorization"] == "Bearer ing3st"
        # A repeat of the bug writes no alert, so it pokes nobody.
        report.post("/api/v1/logs/report", json=runtime(), headers={"Authorization": "Bearer ing3st"})
        time.sleep(0.3)
        assert len(gateway.requests) == 1


def test_notify_accepts_the_api_or_the_ingest_token(function_client, monkeypatch):
    monkeypatch.setenv("LOGCENTER_INGEST_TOKEN", "ing")
    monkeypatch.setenv("LOGCENTER_API_TOKEN", "api")
    reset_settings()
    notify = function_client("notify")
    assert notify.post("/").status_code == 401
    assert notify.post("/", headers={"Authorization": "Bearer nope"}).status_code == 401
    for token in ("ing", "api"):
        r = notify.post("/", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.get_json()["claimed"] == 0


def test_gateway_killed_right_after_a_report_still_delivers_after_restart(db_url, tmp_path):
    env = {"LOGCENTER_NOTIFY_LEASE_SECONDS": "2", "LOGCENTER_NOTIFY_SWEEP_SECONDS": "1"}
    # The first delivery hangs: the gateway dies with the message claimed and not sent.
    with Receiver([(200, b"", 20), (200, b"", 0)]) as rx:
        gw = LiveGateway(db_url, env=env, log_path=tmp_path / "gw1.log").start()
        try:
            r = requests.post(f"{gw.url}/api/v1/alerts", json={"name": "r", "channel": {"type": "webhook",
                                                                                       "url": rx.url}}, timeout=10)
            assert r.status_code == 201
            bug = gw.report(runtime()).json()
            assert len(rx.wait_for(1, timeout=30)) == 1, (tmp_path / "gw1.log").read_text()
        finally:
            gw.proc.send_signal(signal.SIGKILL)
            gw.proc.wait(10)
        [(status,)] = rows("SELECT status FROM alert_delivery")
        assert status == "sending"  # committed with the report; claimed; never recorded as sent
        gw2 = LiveGateway(db_url, env=env, log_path=tmp_path / "gw2.log").start()
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and rows("SELECT status FROM alert_delivery")[0][0] != "sent":
                time.sleep(0.2)
        finally:
            gw2.stop()
        assert rows("SELECT status, tries FROM alert_delivery")[0] == ("sent", 2), (tmp_path / "gw2.log").read_text()
        assert [q.json()["bug"]["id"] for q in rx.requests] == [bug["id"], bug["id"]]
