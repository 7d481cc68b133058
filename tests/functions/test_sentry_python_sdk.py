"""The real Python SDK (sentry-sdk from PyPI) reporting to Log Center.

An app written to tmp_path raises real exceptions from files on disk and reports them
with `sentry_sdk.init(dsn=…)` in its own process, over HTTP, to the local gateway and to
the sentry function under functions-framework's production server (gunicorn), on SQLite
and PostgreSQL. Then the stored bugs are checked through the API."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
import requests
from sqlalchemy import text

from shared.db.engine import get_engine
from tests.support.function_server import FunctionServer
from tests.support.gateway import LiveGateway

ORDERS = textwrap.dedent('''\
    """A tiny shop: every function raises on a known line."""
    import os

    def parse_quantity(value):
        password = os.environ["SHOP_PASSWORD"]
        return int(value)  # line 6: ValueError


    def parse_price(value):
        return float(value)  # line 10: ValueError on another line


    def lookup(orders, key):
        return orders[key]  # line 14: KeyError


    def charge(orders):
        try:
            lookup(orders, "card")
        except KeyError as exc:
            raise RuntimeError("charge failed") from exc  # line 21: chained
''')

APP = textwrap.dedent('''\
    import json, os, sys
    import sentry_sdk
    from sentry_sdk.scrubber import EventScrubber
    from sentry_sdk.transport import HttpTransport

    sent = []

    def before_send(event, hint):
        sent.append(json.dumps(event, default=str))
        return event

    class SentTwice(HttpTransport):
        """An SDK that retries every envelope as if the first answer were lost."""
        def _send_request(self, body, headers, endpoint_type, envelope=None):
            super()._send_request(body, headers, endpoint_type, envelope)
            super()._send_request(body, headers, endpoint_type, envelope)

    options = dict(dsn=os.environ["SENTRY_DSN"], release="shop@9f2c1e0", environment="staging",
                   include_local_variables=True, default_integrations=False, before_send=before_send,
                   # the SDK's own scrubber off: the server must not rely on the client's
                   event_scrubber=EventScrubber(denylist=[], pii_denylist=[]), send_default_pii=True)
    if os.environ.get("ALGO"):
        options["_experiments"] = {"transport_compression_algo": os.environ["ALGO"]}
    if os.environ.get("SEND_TWICE"):
        options["transport"] = SentTwice
    sentry_sdk.init(**options)
    from shop import orders

    ids = []
    for _ in range(3):
        try:
            orders.parse_quantity("abc")
        except ValueError:
            ids.append(sentry_sdk.capture_exception())
    for call in (lambda: orders.parse_price("x"), lambda: orders.lookup({}, "missing"),
                 lambda: orders.charge({})):
        try:
            call()
        except Exception:
            ids.append(sentry_sdk.capture_exception())
    ids.append(sentry_sdk.capture_message("checkout is slow"))
    sentry_sdk.flush(timeout=20)
    transport = sentry_sdk.get_client().transport
    print(json.dumps({"ids": ids, "algo": transport._compression_algo,
                      "sent_password": any(os.environ["SHOP_PASSWORD"] in e for e in sent)}))
''')


SECRET = "hunter2-local-secret"


@pytest.fixture(params=["gateway", "function"])
def server(request, db_url, live_gateway, tmp_path):
    """A live server that takes Sentry envelopes: the gateway, or the sentry function alone."""
    if request.param == "gateway":
        yield live_gateway(database_url=db_url)
        return
    fn = FunctionServer("sentry", "sentry", db_url, log_path=tmp_path / "sentry-function.log").start()
    yield fn
    fn.stop()


@pytest.fixture
def dsn(function_client, server):
    """Through the gateway, the DSN its own projects route hands out (built on the request's
    host); the sentry function alone has no projects route, so register in-process."""
    if isinstance(server, LiveGateway):
        r = requests.post(f"{server.url}/api/v1/projects", json={"project_id": "shop"}, timeout=10)
        assert r.status_code == 201 and r.json()["dsn"].endswith(f"@127.0.0.1:{server.port}/1")
        return r.json()["dsn"]
    project = function_client("projects").post("/api/v1/projects", json={"project_id": "shop"}).get_json()
    return project["dsn"].replace("@localhost/", f"@127.0.0.1:{server.port}/")


@pytest.fixture
def app(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "orders.py").write_text(ORDERS)
    (tmp_path / "app.py").write_text(APP)

    def run(dsn: str, **env: str) -> dict:
        out = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "SENTRY_DSN": dsn, "SHOP_PASSWORD": SECRET, **env})
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    return run


def bugs_by_type(bugs) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for summary in bugs.get("/api/v1/bugs?page_size=200").get_json()["items"]:
        found.setdefault(summary["error_type"], []).append(bugs.get(f"/api/v1/bugs/{summary['id']}").get_json())
    return found


def test_each_raising_line_is_one_bug_with_its_in_app_frame(app, dsn, bugs, send):
    sent = app(dsn)
    assert sent["algo"] == "br"  # brotli is installed: the SDK compresses with it
    assert len(set(sent["ids"])) == 7
    found = bugs_by_type(bugs)
    assert sorted(found) == ["KeyError", "RuntimeError", "ValueError", "checkout is slow"]
    by_line = {b["line_number"]: b for b in found["ValueError"]}
    assert set(by_line) == {6, 10}
    quantity = by_line[6]
    assert (quantity["file_path"], quantity["occurrence_count"], quantity["error_message"]) == \
        ("shop/orders.py", 3, "invalid literal for int() with base 10: 'abc'")
    assert (quantity["version"], quantity["commit_hash"], quantity["environment"], quantity["level"]) == \
        ("shop@9f2c1e0", "9f2c1e0", "staging", "ERROR")
    innermost = quantity["stack_trace"][-1]
    assert innermost["in_app"] is True and innermost["function"] == "parse_quantity"
    assert innermost["context_line"].strip() == "return int(value)  # line 6: ValueError"
    assert innermost["pre_context"][-1].strip() == 'password = os.environ["SHOP_PASSWORD"]'
    assert quantity["context"]["sentry"]["sdk"]["name"] == "sentry.python"
    assert by_line[10]["occurrence_count"] == 1
    [key_error] = found["KeyError"]
    assert (key_error["file_path"], key_error["line_number"], key_error["error_message"]) == \
        ("shop/orders.py", 14, "'missing'")
    [chained] = found["RuntimeError"]
    assert (chained["file_path"], chained["line_number"], chained["error_message"]) == \
        ("shop/orders.py", 21, "charge failed")
    announced = [e["exception"]["type"] for e in chained["stack_trace"] if "exception" in e]
    assert announced == ["KeyError", "RuntimeError"]
    assert any(f.get("line") == 14 for f in chained["stack_trace"] if "file" in f)  # the cause's frames too
    [message] = found["checkout is slow"]
    assert (message["level"], message["error_message"], message["file_path"]) == ("INFO", "checkout is slow", None)
    occurrences = bugs.get(f"/api/v1/bugs/{quantity['id']}/occurrences").get_json()
    assert sorted(o["event_id"] for o in occurrences["items"]) == sorted(sent["ids"][:3])

    # the native report of the same error lands on the same bug
    native = send({"project_id": "shop", "error": {"type": "ValueError", "message": "from the native API",
                                                   "file_path": "shop/orders.py", "line_number": 6}})
    assert native["id"] == quantity["id"] and native["occurrence_count"] == 4


def test_a_frame_local_password_is_never_stored(app, dsn, bugs):
    assert app(dsn)["sent_password"]  # the SDK sent it in the frame's vars
    with get_engine().connect() as conn:
        stored = [json.dumps([str(v) for v in row]) for table in ("errorlog", "occurrence")
                  for row in conn.execute(text(f"SELECT * FROM {table}"))]
    assert stored and not [row for row in stored if SECRET in row]
    assert any("shop/orders.py" in row for row in stored)


def test_gzip_and_retried_envelopes_count_once(app, dsn, bugs):
    first = app(dsn, ALGO="gzip")
    assert first["algo"] == "gzip"
    again = app(dsn, ALGO="gzip", SEND_TWICE="1")  # every envelope arrives twice
    counts = {(b["error_type"], b["line_number"]): b["occurrence_count"]
              for group in bugs_by_type(bugs).values() for b in group}
    assert counts == {("ValueError", 6): 6, ("ValueError", 10): 2, ("KeyError", 14): 2, ("RuntimeError", 21): 2,
                      ("checkout is slow", None): 2}
    assert len(set(first["ids"]) | set(again["ids"])) == 14


RATE_LIMITED_APP = textwrap.dedent('''\
    import json, os
    import sentry_sdk
    sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], default_integrations=False)
    from shop import orders
    for i in range(6):
        try:
            orders.lookup({}, f"k{i}")
        except KeyError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(timeout=10)  # one at a time: the answer to each is seen before the next
    limits = sentry_sdk.get_client().transport._disabled_until
    print(json.dumps(sorted(str(k) for k in limits)))
''')


def test_the_sdk_obeys_the_rate_limit_answer(db_url, live_gateway, function_client, bugs, app, tmp_path):
    gw = live_gateway(database_url=db_url, env={"LOGCENTER_SENTRY_EVENTS_PER_MINUTE": "2"})
    project = function_client("projects").post("/api/v1/projects", json={"project_id": "shop"}).get_json()
    (tmp_path / "limited.py").write_text(RATE_LIMITED_APP)
    out = subprocess.run([sys.executable, "limited.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "SHOP_PASSWORD": SECRET,
                              "SENTRY_DSN": project["dsn"].replace("@localhost/", f"@127.0.0.1:{gw.port}/")})
    assert out.returncode == 0, out.stderr
    # the SDK read X-Sentry-Rate-Limits: errors (and the default category) are held back
    assert {"error", "default"} <= set(json.loads(out.stdout.strip().splitlines()[-1]))
    [bug] = bugs.get("/api/v1/bugs").get_json()["items"]
    assert bug["occurrence_count"] == 2
    # it stopped sending errors: one 429, then only its client reports (no events: 200)
    statuses = re.findall(r'POST /api/\d+/envelope/ HTTP/1\.1\S*" (\d{3})', (tmp_path / "gateway0.log").read_text())
    assert statuses[:3] == ["200", "200", "429"] and statuses.count("429") == 1, statuses
