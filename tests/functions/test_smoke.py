def test_report_then_list(function_client):
    report = function_client("report")
    r = report.post("/api/v1/logs/report", json={"project_id": "p1", "error": {"type": "E"}})
    assert r.status_code == 201, r.json
    bugs = function_client("bugs")
    body = bugs.get("/api/v1/bugs").json
    assert body["total"] == 1 and body["items"][0]["source"] == "runtime"


def test_live_gateway_serves(live_gateway):
    gw = live_gateway()
    assert gw.report({"project_id": "p1", "error": {"type": "E"}}).status_code == 201
