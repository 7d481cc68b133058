"""Alert rules through the alerts function (DESIGN.md "Alerts"): CRUD, validation, secrets."""

import pytest

from tests.support.receiver import Receiver


@pytest.fixture
def alerts(function_client):
    return function_client("alerts")


def rule(url="http://127.0.0.1:9/hook", **overrides):
    body = {"name": "后端告警", "project_id": "shop_api", "sources": ["runtime", "cicd"], "min_level": "ERROR",
            "triggers": {"new_bug": True, "regression": True, "spike": {"count": 100, "minutes": 5}},
            "channel": {"type": "webhook", "url": url, "secret": "s3cret"}, "throttle_minutes": 30}
    body.update(overrides)
    return body


def test_create_list_get_patch_delete_never_returning_the_secret(alerts):
    r = alerts.post("/api/v1/alerts", json=rule())
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["channel"] == {"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "***"}
    assert created["triggers"] == {"new_bug": True, "regression": True, "spike": {"count": 100, "minutes": 5}}
    assert created["enabled"] is True and created["throttle_minutes"] == 30
    assert "s3cret" not in r.get_data(as_text=True)
    listed = alerts.get("/api/v1/alerts").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    assert "s3cret" not in alerts.get("/api/v1/alerts").get_data(as_text=True)
    one = alerts.get(f"/api/v1/alerts/{created['id']}").get_json()
    assert one["name"] == "后端告警"
    # PATCH keeps what it does not name; "***" sent back keeps the secret.
    patched = alerts.patch(f"/api/v1/alerts/{created['id']}",
                           json={"enabled": False, "channel": {"url": "https://example.com/x", "secret": "***"},
                                 "triggers": {"spike": None}}).get_json()
    assert patched["enabled"] is False and patched["channel"]["secret"] == "***"
    assert patched["channel"]["url"] == "https://example.com/x"
    assert patched["triggers"] == {"new_bug": True, "regression": True, "spike": None}
    cleared = alerts.patch(f"/api/v1/alerts/{created['id']}", json={"channel": {"secret": None}}).get_json()
    assert cleared["channel"]["secret"] is None
    assert alerts.delete(f"/api/v1/alerts/{created['id']}").status_code == 200
    assert alerts.get(f"/api/v1/alerts/{created['id']}").status_code == 404
    assert alerts.delete(f"/api/v1/alerts/{created['id']}").status_code == 404


def test_defaults(alerts):
    body = alerts.post("/api/v1/alerts", json={"name": "all", "channel": {"type": "slack",
                                                                          "url": "https://hooks.slack.com/x"}}
                       ).get_json()
    assert body["project_id"] is None and body["sources"] == ["runtime", "cicd", "deployment"]
    assert body["min_level"] == "ERROR" and body["throttle_minutes"] == 60
    assert body["triggers"] == {"new_bug": True, "regression": True, "spike": None}
    assert body["channel"]["secret"] is None


@pytest.mark.parametrize("change, field", [
    ({"channel": {"type": "webhook", "url": "ftp://example.com/x"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "file:///etc/passwd"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "https://user:pw@example.com/x"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "https://token@example.com/x"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "https:///nohost"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "https://exa mple.com/"}}, "channel.url"),
    ({"channel": {"type": "webhook", "url": "https://example.com:99999/"}}, "channel.url"),
    ({"channel": {"type": "webhook"}}, "channel.url"),
    ({"channel": {"type": "email", "url": "https://example.com/"}}, "channel.type"),
    ({"channel": {"type": "wecom", "url": "https://qyapi.weixin.qq.com/x", "secret": "s"}}, "channel.secret"),
    ({"channel": {"type": "webhook", "url": "https://example.com/", "secret": 5}}, "channel.secret"),
    ({"channel": {"type": "webhook", "url": "https://example.com/", "token": "x"}}, "channel.token"),
    ({"channel": "https://example.com/"}, "channel"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"project_id": "bad id"}, "project_id"),
    ({"sources": []}, "sources"),
    ({"sources": ["runtime", "mobile"]}, "sources"),
    ({"min_level": "LOUD"}, "min_level"),
    ({"enabled": "yes"}, "enabled"),
    ({"triggers": {"new_bug": False, "regression": False, "spike": None}}, "triggers"),
    ({"triggers": {"spike": {"count": 0, "minutes": 5}}}, "triggers.spike.count"),
    ({"triggers": {"spike": {"count": 10, "minutes": 100000}}}, "triggers.spike.minutes"),
    ({"triggers": {"spike": {"count": True, "minutes": 5}}}, "triggers.spike.count"),
    ({"triggers": {"often": True}}, "triggers.often"),
    ({"throttle_minutes": -1}, "throttle_minutes"),
    ({"throttle_minutes": 1.5}, "throttle_minutes"),
    ({"colour": "red"}, "colour"),
])
def test_bad_rules_are_422_naming_the_field(alerts, change, field):
    r = alerts.post("/api/v1/alerts", json=rule(**change))
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["details"][0]["field"] == field
    assert alerts.get("/api/v1/alerts").get_json()["total"] == 0


def test_bad_bodies_and_ids(alerts):
    assert alerts.post("/api/v1/alerts", data="{", content_type="application/json").status_code == 400
    assert alerts.post("/api/v1/alerts", json=[1]).status_code == 422
    assert alerts.get("/api/v1/alerts/abc").status_code == 404
    assert alerts.patch("/api/v1/alerts/99999", json={"name": "x"}).status_code == 404
    assert alerts.post("/api/v1/alerts/99999/test").status_code == 404
    assert alerts.get("/api/v1/alerts/deliveries?status=lost").status_code == 422
    assert alerts.get("/api/v1/alerts/deliveries?rule_id=x").status_code == 422
    assert alerts.put("/api/v1/alerts").status_code == 405


def test_api_token_is_required_when_set(function_client, monkeypatch):
    from shared.settings import reset_settings

    monkeypatch.setenv("LOGCENTER_API_TOKEN", "t0ken")
    reset_settings()
    client = function_client("alerts")
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/api/v1/alerts", headers={"Authorization": "Bearer t0ken"}).status_code == 200


def test_send_test_reports_the_channels_answer_and_logs_it(alerts):
    with Receiver([(200, {"errcode": 0, "errmsg": "ok"}, 0)]) as ok, \
            Receiver([(200, {"errcode": 310000, "errmsg": "sign not match"}, 0)]) as refusing:
        good = alerts.post("/api/v1/alerts", json=rule(ok.url, channel={"type": "dingtalk", "url": ok.url + "/robot/send?access_token=abc", "secret": "SEC1"})).get_json()
        bad = alerts.post("/api/v1/alerts", json=rule(refusing.url, channel={"type": "dingtalk", "url": refusing.url + "/robot/send?access_token=abc"})).get_json()
        r = alerts.post(f"/api/v1/alerts/{good['id']}/test")
        assert r.status_code == 200 and r.get_json()["delivered"] is True, r.get_json()
        assert "errcode" in r.get_json()["answer"]
        sent = ok.wait_for(1)[0]
        assert "【测试】" in sent.json()["markdown"]["title"]
        r = alerts.post(f"/api/v1/alerts/{bad['id']}/test").get_json()
        assert r["delivered"] is False and "310000" in r["error"] and "sign not match" in r["error"]
    log = alerts.get("/api/v1/alerts/deliveries").get_json()["items"]
    assert [(d["rule_id"], d["event"], d["status"]) for d in log] == [(bad["id"], "test", "failed"),
                                                                        (good["id"], "test", "sent")]
    assert alerts.get(f"/api/v1/alerts/deliveries?rule_id={good['id']}&status=sent").get_json()["total"] == 1
    assert alerts.get("/api/v1/alerts/deliveries?status=pending").get_json()["total"] == 0
