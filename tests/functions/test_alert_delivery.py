"""Alerts end to end on both databases: a report writes the outbox row, `notify` POSTs it to a
real receiver on loopback, in each channel's format with signatures recomputed here from
the issue's formulas; triggers, filters, throttling, retries and the per-channel limit."""

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from sqlalchemy import text

from shared.alerts import deliver
from shared.db.engine import get_engine
from shared.settings import reset_settings
from shared.timeutil import utcnow
from tests.functions.conftest import cicd, deployment, runtime
from tests.support.receiver import Receiver

OK = (200, {"errcode": 0, "errmsg": "ok"}, 0)


@pytest.fixture
def alerts(function_client):
    return function_client("alerts")


@pytest.fixture
def notify(function_client):
    return function_client("notify")


@pytest.fixture
def make_rule(alerts):
    def make(url, channel_type="webhook", secret=None, **overrides):
        channel = {"type": channel_type, "url": url}
        if secret:
            channel["secret"] = secret
        body = {"name": "r", "channel": channel, "min_level": "WARNING", **overrides}
        r = alerts.post("/api/v1/alerts", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    return make


def deliveries(alerts, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return alerts.get(f"/api/v1/alerts/deliveries?{qs}").get_json()["items"]


def outbox_rows():
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT rule_id, bug_id, kind, status, tries FROM alert_delivery ORDER BY id")).all()


def test_webhook_new_bug_signed_with_hmac_of_the_body(send, notify, make_rule, monkeypatch):
    monkeypatch.setenv("LOGCENTER_PUBLIC_URL", "https://logs.example.com")
    reset_settings()
    with Receiver([(204, b"", 0)]) as rx:
        rule = make_rule(rx.url + "/hook", secret="whsec")
        bug = send(runtime(message="x" * 300, environment="production", version="1.4.2"))
        assert [tuple(r)[2:4] for r in outbox_rows()] == [("new_bug", "pending")]  # written with the report
        answer = notify.post("/")
        assert answer.status_code == 200 and answer.get_json()["sent"] == 1, answer.get_json()
        got = rx.wait_for(1)[0]
    expected = "sha256=" + hmac.new(b"whsec", got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-log-center-signature"] == expected
    body = got.json()
    assert body["event"] == "new_bug" and body["url"] == f"https://logs.example.com/bugs/{bug['id']}"
    assert body["rule"] == {"id": rule["id"], "name": "r"}
    assert body["bug"]["id"] == bug["id"] and body["bug"]["error_type"] == "ValueError"
    assert body["bug"]["occurrence_count"] == 1 and "stack_trace" not in body["bug"]
    assert "【新缺陷】" in body["text"] and "运行时" in body["text"] and "production / 1.4.2" in body["text"]
    assert "x" * 200 + "…" in body["text"] and "x" * 201 not in body["text"]
    assert [d["status"] for d in deliveries_of(notify)] == ["sent"]


def deliveries_of(_client):
    with get_engine().connect() as conn:
        return [{"status": r[0]} for r in conn.execute(text("SELECT status FROM alert_delivery ORDER BY id"))]


def test_webhook_without_a_secret_has_no_signature(send, notify, make_rule):
    with Receiver([OK]) as rx:
        make_rule(rx.url)
        send(runtime())
        notify.post("/")
        assert "x-log-center-signature" not in rx.wait_for(1)[0].headers


def test_feishu_card_with_timestamp_and_sign_in_the_body(send, notify, make_rule):
    with Receiver([(200, {"code": 0, "msg": "success", "data": {}}, 0)]) as rx:
        make_rule(rx.url + "/open-apis/bot/v2/hook/abc", "feishu", secret="fs-secret")
        bug = send(cicd(run_url="https://git.example.com/team/web/actions/runs/7"))
        notify.post("/")
        got = rx.wait_for(1)[0]
    body = got.json()
    assert got.path == "/open-apis/bot/v2/hook/abc"
    ts = body["timestamp"]
    assert ts.isdigit() and abs(int(ts) - time.time()) < 60  # seconds
    key = f"{ts}\nfs-secret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"]["content"].startswith("【新缺陷】web")
    content = card["elements"][0]["text"]["content"]
    assert "CI/CD" in content and "https://git.example.com/team/web/actions/runs/7" in content
    assert card["elements"][1]["actions"][0]["url"].endswith(f"/bugs/{bug['id']}")


def test_dingtalk_markdown_with_ms_timestamp_and_sign_in_the_url(send, notify, make_rule):
    with Receiver([OK]) as rx:
        make_rule(rx.url + "/robot/send?access_token=tok", "dingtalk", secret="SECabc")
        send(deployment())
        notify.post("/")
        got = rx.wait_for(1)[0]
    parsed = urlsplit(got.path)
    assert parsed.path == "/robot/send"
    query = parse_qs(parsed.query)
    assert query["access_token"] == ["tok"]
    ts = query["timestamp"][0]
    assert len(ts) == 13 and abs(int(ts) / 1000 - time.time()) < 60  # milliseconds
    digest = hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()
    raw_sign = got.path.split("sign=")[1].split("&")[0]
    assert unquote_plus(raw_sign) == base64.b64encode(digest).decode()  # URL-encoded on the wire
    body = got.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("【新缺陷】rtc_backend")
    assert "prod / api" in body["markdown"]["text"] and "部署" in body["markdown"]["text"]


def test_wecom_markdown_content(send, notify, make_rule):
    with Receiver([OK]) as rx:
        make_rule(rx.url + "/cgi-bin/webhook/send?key=k", "wecom")
        bug = send(runtime())
        notify.post("/")
        body = rx.wait_for(1)[0].json()
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("### 【新缺陷】rtc_backend · ValueError") and f"/bugs/{bug['id']})" in content
    assert len(content.encode()) <= 4096


def test_slack_text_and_blocks(send, notify, make_rule):
    with Receiver([(200, b"ok", 0)]) as rx:
        make_rule(rx.url + "/services/T/B/X", "slack")
        bug = send(runtime(type_="Error<script>", message="a & b"))
        notify.post("/")
        body = rx.wait_for(1)[0].json()
    assert set(body) == {"text", "blocks"}
    assert "【新缺陷】" in body["text"] and "&lt;script&gt;" in body["text"] and "a &amp; b" in body["text"]
    assert body["blocks"][0]["type"] == "header" and body["blocks"][1]["text"]["type"] == "mrkdwn"
    assert f"/bugs/{bug['id']}|查看缺陷>" in body["blocks"][2]["elements"][0]["text"]


def test_regression_alert(send, notify, make_rule, function_client):
    bugs = function_client("bugs")
    with Receiver([OK]) as rx:
        make_rule(rx.url, triggers={"new_bug": False, "regression": True})
        bug = send(runtime())
        send(runtime())
        assert outbox_rows() == []
        assert bugs.patch(f"/api/v1/bugs/{bug['id']}/status", json={"status": "FIXED"}).status_code == 200
        send(runtime())  # reopens
        notify.post("/")
        body = rx.wait_for(1)[0].json()
    assert body["event"] == "regression" and "【回归】" in body["text"]
    assert [r.kind for r in outbox_rows()] == ["regression"]


def test_project_source_and_level_filters(send, notify, make_rule):
    with Receiver([OK]) as rx:
        make_rule(rx.url, project_id="shop_api", sources=["cicd"], min_level="ERROR")
        send(runtime(project="shop_api"))                       # runtime: not this rule's source
        send(cicd(project="other"))                             # another project
        send({**cicd(project="shop_api", job="lint"), "level": "WARNING"})  # below the minimum
        wanted = send(cicd(project="shop_api", job="build"))
        assert [r.bug_id for r in outbox_rows()] == [wanted["id"]]
        notify.post("/")
        assert [r.json()["bug"]["id"] for r in rx.wait_for(1)] == [wanted["id"]]


def test_disabled_rule_sends_nothing(send, make_rule, alerts):
    rule = make_rule("http://127.0.0.1:9/x")
    alerts.patch(f"/api/v1/alerts/{rule['id']}", json={"enabled": False})
    send(runtime())
    assert outbox_rows() == []


def test_503_several_times_then_200_is_delivered_once_with_doubling_backoff(send, make_rule, monkeypatch):
    monkeypatch.setenv("LOGCENTER_NOTIFY_RETRY_SECONDS", "30")
    reset_settings()
    with Receiver([(503, {"error": "down"}, 0)] * 3 + [(200, b"", 0)]) as rx:
        make_rule(rx.url)
        send(runtime())
        now = utcnow()
        waits = []
        for _ in range(3):
            assert deliver.run(now=now)["retry"] == 1
            due = outbox_rows_due()
            waits.append(round((due - now).total_seconds()))
            assert deliver.run(now=due - timedelta(seconds=1))["claimed"] == 0  # not due yet
            now = due
        assert deliver.run(now=now)["sent"] == 1
        assert deliver.run(now=now + timedelta(hours=1))["claimed"] == 0
        assert len(rx.requests) == 4
    assert waits == [30, 60, 120]
    row = outbox_rows()[0]
    assert (row.status, row.tries) == ("sent", 4)


def outbox_rows_due():
    with get_engine().connect() as conn:
        from sqlalchemy import DateTime
        return conn.execute(text("SELECT due_at FROM alert_delivery").columns(due_at=DateTime)).scalar()


def test_in_band_chat_error_is_retried(send, make_rule, alerts):
    with Receiver([(200, {"errcode": 45009, "errmsg": "api freq out of limit"}, 0), OK]) as rx:
        make_rule(rx.url + "/cgi-bin/webhook/send?key=k", "wecom")
        send(runtime())
        now = utcnow()
        assert deliver.run(now=now)["retry"] == 1
        log = deliveries(alerts)
        assert log[0]["status"] == "pending" and "45009" in log[0]["last_error"] and log[0]["tries"] == 1
        assert log[0]["next_attempt_at"] is not None
        assert deliver.run(now=now + timedelta(minutes=5))["sent"] == 1
        assert len(rx.requests) == 2


def test_eight_tries_then_failed(send, make_rule, alerts):
    with Receiver([(500, b"oops", 0)]) as rx:
        make_rule(rx.url)
        send(runtime())
        now = utcnow()
        for _ in range(8):
            deliver.run(now=now)
            now += timedelta(days=1)
        assert deliver.run(now=now)["claimed"] == 0
        assert len(rx.requests) == 8
    log = deliveries(alerts, status="failed")
    assert len(log) == 1 and log[0]["tries"] == 8 and "HTTP 500" in log[0]["last_error"]


@pytest.mark.parametrize("answer, reason", [((404, b"no_service", 0), "HTTP 404"),
                                            ((302, b"", 0), "redirects are not followed")])
def test_a_wrong_url_fails_at_once(send, make_rule, alerts, answer, reason):
    with Receiver([answer, OK]) as rx:
        make_rule(rx.url)
        send(runtime())
        assert deliver.run()["failed"] == 1
        assert deliver.run(now=utcnow() + timedelta(days=1))["claimed"] == 0
        assert len(rx.requests) == 1
    assert reason in deliveries(alerts)[0]["last_error"]


def test_unreachable_channel_is_retried_and_the_error_names_no_url(send, make_rule, alerts):
    make_rule("http://127.0.0.1:9/robot/send?access_token=SECRET_TOKEN")  # port 9: nothing listens
    send(runtime())
    assert deliver.run()["retry"] == 1
    error = deliveries(alerts)[0]["last_error"]
    assert error.startswith("network error") and "SECRET_TOKEN" not in error


def test_spike_alert_once_per_throttle_window(send, make_rule, monkeypatch):
    with Receiver([OK]) as rx:
        make_rule(rx.url, triggers={"new_bug": False, "regression": False, "spike": {"count": 5, "minutes": 10}},
                  throttle_minutes=60)
        for _ in range(4):
            send(runtime())
        assert outbox_rows() == []
        for _ in range(10):
            send(runtime())
        assert [r.kind for r in outbox_rows()] == ["spike"]
        deliver.run()
        body = rx.wait_for(1)[0].json()
    assert body["event"] == "spike" and "【激增】" in body["text"] and "10 分钟内" in body["text"]


def test_rate_limit_folds_the_rest_into_one_digest(send, make_rule, alerts, monkeypatch):
    monkeypatch.setenv("LOGCENTER_NOTIFY_PER_MINUTE", "3")
    reset_settings()
    with Receiver([OK]) as rx:
        make_rule(rx.url)
        for line in range(7):
            send(runtime(line=line))
        result = deliver.run()
        assert (result["sent"], result["digests"]) == (3, 1)
        got = [r.json() for r in rx.wait_for(3)]
        assert [g["event"] for g in got] == ["new_bug", "new_bug", "digest"]
        assert "另有 5 个缺陷" in got[2]["text"] and len(got[2]["items"]) == 5
        # The channel is full for this minute: a new alert waits, then goes out.
        send(runtime(line=99))
        assert deliver.run()["claimed"] == 0
        assert deliver.run(now=utcnow() + timedelta(seconds=61))["sent"] == 1
        assert len(rx.requests) == 4
    log = deliveries(alerts)
    assert sorted(d["status"] for d in log) == ["sent"] * 9  # 7 alerts (5 via the digest), the digest, 1 later
    assert sum(1 for d in log if d["digest_id"]) == 5


def test_a_deleted_rules_pending_messages_fail(send, make_rule, alerts):
    rule = make_rule("http://127.0.0.1:9/x")
    send(runtime())
    alerts.delete(f"/api/v1/alerts/{rule['id']}")
    assert deliver.run()["claimed"] == 0
    assert [r.status for r in outbox_rows()] == ["failed"]


def test_a_crashed_claim_is_taken_again_after_the_lease(send, make_rule, monkeypatch):
    monkeypatch.setenv("LOGCENTER_NOTIFY_LEASE_SECONDS", "60")
    reset_settings()
    with Receiver([OK]) as rx:
        rule = make_rule(rx.url)
        send(runtime())
        now = utcnow()
        with get_engine().begin() as conn:  # a notify that claimed and died before sending
            jobs = deliver.claim_channel(conn, rule_channel_key(rule["id"]), now, 20, timedelta(seconds=60))
        assert len(jobs) == 1
        assert deliver.run(now=now + timedelta(seconds=30))["claimed"] == 0
        assert deliver.run(now=now + timedelta(seconds=61))["sent"] == 1
        assert len(rx.requests) == 1


def rule_channel_key(rule_id):
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT channel_key FROM alert_rule WHERE id = :i"), {"i": rule_id}).scalar()


def test_no_rules_no_statements(send, make_rule, db_url):
    """A report no rule can match runs exactly the statements it ran without alerts."""
    from shared.db import driver

    def statements_of(payload):
        seen: list[str] = []
        driver.STATEMENT_LISTENERS.append(seen.append)  # ingest runs on the driver connections
        try:
            send(payload)
        finally:
            driver.STATEMENT_LISTENERS.remove(seen.append)
        return [s for s in seen if "alert_rule" not in s]  # the cache's reload every few seconds

    send(runtime(line=1))
    baseline_new, baseline_repeat = statements_of(runtime(line=2)), statements_of(runtime(line=2))
    make_rule("http://127.0.0.1:9/x", project_id="another_project")
    make_rule("http://127.0.0.1:9/y", triggers={"new_bug": True, "regression": True, "spike": None})
    assert statements_of(runtime(line=3, project="p2")) != baseline_new  # a new bug a rule wants: + outbox
    assert statements_of(runtime(line=2)) == baseline_repeat               # a repeat: nothing more
    assert len(statements_of(runtime(line=3, project="p2"))) == len(baseline_repeat)


def test_a_sentry_event_alerts_like_a_native_report_and_its_retry_does_not(function_client, notify, make_rule):
    from tests.support.sentry import envelope, exception_event, item

    shop = function_client("projects").post("/api/v1/projects", json={"project_id": "shop"}).get_json()
    sentry = function_client("sentry")
    with Receiver([OK]) as rx:
        make_rule(rx.url, project_id="shop")
        body = envelope(item("event", exception_event(event_id="cd" * 16)))
        for _ in range(2):  # the SDK's retry of the same event
            r = sentry.post(f"/api/{shop['sentry_id']}/envelope/?sentry_key={shop['public_key']}", data=body)
            assert r.status_code == 200, r.get_data(as_text=True)
        assert [r.kind for r in outbox_rows()] == ["new_bug"]
        notify.post("/")
        got = rx.wait_for(1)[0].json()
    assert got["event"] == "new_bug" and got["bug"]["project_id"] == "shop"


def test_rules_are_cached_per_process_and_reloaded_after_the_ttl(send, monkeypatch):
    """A rule written by another instance (straight into the table: no invalidation here)
    reaches this one's reports only once the cache is older than RULE_CACHE_SECONDS."""
    from shared.alerts import cache
    from shared.alerts.rules import _COLUMNS, _params, validate

    monkeypatch.setattr(cache, "RULE_CACHE_SECONDS", 1.0)
    send(runtime(line=1))  # loads the (empty) rules
    columns = ", ".join(":" + c.strip() for c in _COLUMNS.split(","))
    with get_engine().begin() as conn:
        conn.execute(text(f"INSERT INTO alert_rule ({_COLUMNS}, created_at, updated_at) VALUES ({columns}, :n, :n)"),
                     {**_params(validate({"name": "elsewhere", "channel": {"type": "webhook",
                                                                          "url": "http://127.0.0.1:9/"}})),
                      "n": utcnow()})
    send(runtime(line=2))
    assert outbox_rows() == []  # still the cached, empty rule set
    time.sleep(1.1)
    bug = send(runtime(line=3))
    assert [(r.bug_id, r.kind) for r in outbox_rows()] == [(bug["id"], "new_bug")]


def test_a_failing_channel_costs_a_pass_one_try_not_one_per_message(send, make_rule):
    with Receiver([(503, b"", 0), OK]) as rx:
        make_rule(rx.url)
        for line in range(3):
            send(runtime(line=line))
        now = utcnow()
        result = deliver.run(now=now)
        assert (result["retry"], result["released"], len(rx.requests)) == (1, 2, 1)
        assert [(r.status, r.tries) for r in outbox_rows()] == [("pending", 1), ("pending", 0), ("pending", 0)]
        assert deliver.run(now=now + timedelta(seconds=29))["claimed"] == 0  # all wait for the first retry
        assert deliver.run(now=now + timedelta(seconds=31))["sent"] == 3
    assert [(r.status, r.tries) for r in outbox_rows()] == [("sent", 2), ("sent", 1), ("sent", 1)]
