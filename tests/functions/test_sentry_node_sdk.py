"""The real @sentry/node (npm, pinned in tests/functions/node_sdk) reporting to Log Center.

@sentry/node streams its body (`Transfer-Encoding: chunked`, no Content-Length, no
Content-Type), gzips it past 32 KiB, and writes items without `length`. A Node app in
tmp_path throws real errors from a module on disk, to the gateway and to the sentry
function under functions-framework's production server (gunicorn), on both databases.
`make test` installs the package (`make node-sdk`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import requests

from tests.support.function_server import FunctionServer
from tests.support.gateway import LiveGateway

NODE_SDK = Path(__file__).resolve().parent / "node_sdk" / "node_modules"

ORDERS = textwrap.dedent('''\
    "use strict";
    function parseQuantity(value) {
      const n = Number.parseInt(value, 10);
      if (Number.isNaN(n)) throw new TypeError(`invalid quantity: ${value}`); // line 4
      return n;
    }
    function lookup(orders, key) {
      if (!(key in orders)) throw new RangeError(`no order ${key}`); // line 8
      return orders[key];
    }
    module.exports = { parseQuantity, lookup };
''')

APP = textwrap.dedent('''\
    "use strict";
    const Sentry = require("@sentry/node");
    const orders = require("./orders");
    Sentry.init({ dsn: process.env.SENTRY_DSN, release: "shop@9f2c1e0", environment: "staging" });

    async function main() {
      const ids = [];
      // Messages differ: the SDK's Dedupe integration drops an error identical to the last one.
      for (let i = 0; i < 3; i++) {
        try { orders.parseQuantity(`abc${i}`); } catch (e) { ids.push(Sentry.captureException(e)); }
      }
      try { orders.lookup({}, "A-1"); } catch (e) { ids.push(Sentry.captureException(e)); }
      // Past 32 KiB the SDK gzips its stream.
      try { orders.parseQuantity("big"); } catch (e) {
        ids.push(Sentry.captureException(e, { extra: { blob: "x".repeat(40000) } }));
      }
      ids.push(Sentry.captureMessage("checkout is slow", "warning"));
      await Sentry.flush(20000);
      console.log(JSON.stringify({ ids }));
      if (process.env.CRASH) setTimeout(() => orders.lookup({}, "uncaught"), 0);
    }
    main();
''')


@pytest.fixture(scope="module")
def node():
    binary = shutil.which("node")
    assert binary, "node is missing (Debian: apt-get install nodejs)"
    assert (NODE_SDK / "@sentry" / "node").is_dir(), "run `make node-sdk` (make test does) to install @sentry/node"
    return binary


@pytest.fixture(params=["gateway", "function"])
def server(request, db_url, live_gateway, tmp_path):
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
def run_app(node, tmp_path):
    (tmp_path / "orders.js").write_text(ORDERS)
    (tmp_path / "app.js").write_text(APP)

    def run(dsn: str, **env: str) -> tuple[int, dict]:
        out = subprocess.run([node, "app.js"], cwd=tmp_path, capture_output=True, text=True, timeout=90,
                             env={"PATH": "/usr/bin:/bin", "NODE_PATH": str(NODE_SDK), "SENTRY_DSN": dsn, **env})
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        assert lines, out.stderr
        return out.returncode, json.loads(lines[-1])

    return run


def bugs_by_type(bugs) -> dict[str, dict]:
    found = {}
    for summary in bugs.get("/api/v1/bugs?page_size=200").get_json()["items"]:
        assert summary["error_type"] not in found, "one bug per type in this app"
        found[summary["error_type"]] = bugs.get(f"/api/v1/bugs/{summary['id']}").get_json()
    return found


def test_node_errors_become_bugs_at_their_lines(run_app, dsn, bugs, tmp_path):
    code, sent = run_app(dsn)
    assert code == 0 and len(set(sent["ids"])) == 6
    found = bugs_by_type(bugs)
    assert sorted(found) == ["RangeError", "TypeError", "checkout is slow"]
    quantity = found["TypeError"]
    # the SDK sends in parallel: the latest message is whichever arrived last
    assert (quantity["occurrence_count"], quantity["line_number"]) == (4, 4)
    assert quantity["error_message"].startswith("invalid quantity: ")
    assert quantity["file_path"].endswith("orders.js")
    assert (quantity["version"], quantity["commit_hash"], quantity["environment"]) == \
        ("shop@9f2c1e0", "9f2c1e0", "staging")
    innermost = quantity["stack_trace"][-1]
    assert innermost["in_app"] is True and innermost["function"].endswith("parseQuantity")
    assert "throw new TypeError" in innermost["context_line"]
    assert quantity["context"]["sentry"]["sdk"]["name"] == "sentry.javascript.node"
    assert quantity["context"]["sentry"]["platform"] == "node"
    occurrences = bugs.get(f"/api/v1/bugs/{quantity['id']}/occurrences").get_json()["items"]
    big = next(o for o in occurrences if o["event_id"] == sent["ids"][4])  # the gzipped one
    assert big["message"] == "invalid quantity: big" and len(big["context"]["sentry"]["extra"]["blob"]) == 40000
    lookup = found["RangeError"]
    assert (lookup["line_number"], lookup["error_message"], lookup["occurrence_count"]) == (8, "no order A-1", 1)
    assert found["checkout is slow"]["level"] == "WARNING"


def test_an_uncaught_error_is_reported_before_the_process_exits(run_app, dsn, bugs):
    code, _ = run_app(dsn, CRASH="1")
    assert code != 0
    crash = next(b for b in bugs_by_type(bugs).values() if b["error_message"] == "no order uncaught")
    assert (crash["error_type"], crash["line_number"]) == ("RangeError", 8)
    assert crash["context"]["sentry"]["mechanism"]["handled"] is False
