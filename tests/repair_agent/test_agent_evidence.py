"""`show` and the REPAIR_COMMAND JSON carry the bug's latest occurrences and its in-app frames."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from tests.repair_agent.agent_support import agent, agent_env

PY = shlex.quote(sys.executable)

FRAMES = [
    {"file": "lib/framework/dispatch.py", "line": 880, "function": "dispatch", "context_line": "return view()",
     "in_app": False},
    {"file": "shop/views.py", "line": 30, "column": 5, "function": "checkout", "context_line": "    total(cart)",
     "in_app": True},
    {"file": "shop/cart.py", "line": 12, "function": "total",
     "pre_context": ["def total(cart):", "    items = cart.get('items')"],
     "context_line": "    return items[0]['price']", "post_context": ["", "def empty(cart):"], "in_app": True},
]


def report(gateway, n: int, environment: str, trace) -> int:
    answer = gateway.report({
        "project_id": "shop", "environment": environment, "version": f"2.0.{n}", "commit_hash": f"c0ffee{n}",
        "error": {"type": "TypeError", "message": f"'NoneType' object is not subscriptable (#{n})",
                  "file_path": "shop/cart.py", "line_number": 12, "stack_trace": trace},
        "context": {"order": f"o-{n}"}})
    assert answer.ok, answer.text
    return answer.json()["id"]


def test_show_prints_latest_occurrences_and_in_app_frames_with_source_lines(gateway):
    for n in range(7):
        bug_id = report(gateway, n, "canary" if n == 6 else "production", FRAMES)
    env = agent_env(gateway.url)

    shown = agent(["show", str(bug_id)], env)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "latest occurrences (newest first, 5 of 7):" in out
    occurrence_lines = [line for line in out.splitlines() if "object is not subscriptable (#" in line
                        and line.startswith("    2")]
    assert [line.rsplit("#", 1)[1] for line in occurrence_lines] == ["6)", "5)", "4)", "3)", "2)"]
    assert "canary  2.0.6  c0ffee6" in occurrence_lines[0]
    frames = out[out.index("in-app frames (innermost last):"):]
    assert "lib/framework/dispatch.py" not in frames  # library frames are left out
    assert frames.index("shop/views.py:30:5 in checkout") < frames.index("shop/cart.py:12 in total")
    assert "         10 | def total(cart):\n" in frames
    assert "      >   12 |     return items[0]['price']\n" in frames
    assert "          14 | def empty(cart):\n" in frames

    as_json = json.loads(agent(["show", str(bug_id), "--json"], env).stdout)
    assert [o["version"] for o in as_json["recent_occurrences"]] == ["2.0.6", "2.0.5", "2.0.4", "2.0.3", "2.0.2"]
    assert as_json["recent_occurrences"][0]["context"] == {"order": "o-6"}
    assert as_json["in_app_frames"] == [
        {"file": "shop/views.py", "line": 30, "column": 5, "function": "checkout", "context_line": "    total(cart)"},
        {"file": "shop/cart.py", "line": 12, "function": "total",
         "pre_context": ["def total(cart):", "    items = cart.get('items')"],
         "context_line": "    return items[0]['price']", "post_context": ["", "def empty(cart):"]},
    ]
    assert as_json["history"] == [] and as_json["occurrence_count"] == 7


def test_a_text_trace_has_occurrences_but_no_frames(gateway):
    bug_id = report(gateway, 1, "production", "Traceback (most recent call last):\n  File \"shop/cart.py\"")
    env = agent_env(gateway.url)
    out = agent(["show", str(bug_id)], env).stdout
    assert "latest occurrences (newest first, 1 of 1):" in out and "in-app frames" not in out
    assert json.loads(agent(["show", str(bug_id), "--json"], env).stdout)["in_app_frames"] == []


def test_repair_command_gets_the_occurrences_and_in_app_frames(gateway, tmp_path):
    for n in range(2):
        bug_id = report(gateway, n, "production", FRAMES)
    seen = tmp_path / "seen.json"
    script = tmp_path / "fix.py"
    script.write_text("import json, os, sys\n"
                      "bug = json.load(sys.stdin)\n"
                      "assert json.load(open(os.environ['LOG_CENTER_BUG_FILE'])) == bug\n"
                      f"open({str(seen)!r}, 'w').write(json.dumps(bug))\n")
    env = agent_env(gateway.url, REPAIR_COMMAND=f"{PY} {shlex.quote(str(script))}")
    ran = agent(["run", "--once"], env)
    assert ran.returncode == 0, ran.stderr
    assert f"bug {bug_id}: FIXED" in ran.stdout
    bug = json.loads(seen.read_text())
    assert bug["id"] == bug_id and bug["status"] == "FIXING"
    assert [o["message"] for o in bug["recent_occurrences"]] == [
        "'NoneType' object is not subscriptable (#1)", "'NoneType' object is not subscriptable (#0)"]
    innermost = bug["in_app_frames"][-1]
    assert (innermost["file"], innermost["line"], innermost["context_line"]) == \
        ("shop/cart.py", 12, "    return items[0]['price']")


def test_control_characters_from_the_app_are_shown_escaped(gateway):
    hostile = [{"file": "shop/x.py", "line": 3, "function": "f", "context_line": "x = '\x1b[2J\x1b]0;owned\x07'",
                "in_app": True}]
    bug_id = report(gateway, 1, "production\x1b[31m", hostile)
    out = agent(["show", str(bug_id)], agent_env(gateway.url)).stdout
    assert "x = '\\x1b[2J\\x1b]0;owned\\x07'" in out
    frames_and_occurrences = out[out.index("latest occurrences"):]
    assert "\x1b" not in frames_and_occurrences and "\x07" not in frames_and_occurrences


def test_a_real_python_sdk_event_gives_the_in_app_frames_of_the_file_on_disk(gateway, tmp_path):
    registered = requests.post(f"{gateway.url}/api/v1/projects", json={"project_id": "shop"}, timeout=10)
    assert registered.status_code == 201, registered.text
    app = tmp_path / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "cart.py").write_text("def total(cart):\n"
                                 "    items = cart.get('items')\n"
                                 "    return items[0]['price']\n"
                                 "\n"
                                 "\n"
                                 "def checkout(cart):\n"
                                 "    return total(cart) * 2\n")
    (tmp_path / "run.py").write_text("import sys\n"
                                     "import sentry_sdk\n"
                                     "from shop.cart import checkout\n"
                                     "sentry_sdk.init(dsn=sys.argv[1], release='shop@3.1.0')\n"
                                     "try:\n"
                                     "    checkout({})\n"
                                     "except TypeError:\n"
                                     "    sentry_sdk.capture_exception()\n"
                                     "sentry_sdk.flush(10)\n")
    sent = subprocess.run([sys.executable, "run.py", registered.json()["dsn"]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    bugs = requests.get(f"{gateway.url}/api/v1/bugs", params={"project_id": "shop"}, timeout=10).json()["items"]
    assert len(bugs) == 1, bugs
    env = agent_env(gateway.url)

    bug = json.loads(agent(["show", str(bugs[0]["id"]), "--json"], env).stdout)
    assert bug["recent_occurrences"][0]["context"]["sentry"]["sdk"]["name"].startswith("sentry.python")
    innermost = bug["in_app_frames"][-1]
    assert (innermost["function"], innermost["line"], innermost["context_line"]) == \
        ("total", 3, "    return items[0]['price']")
    assert innermost["file"].endswith("shop/cart.py")
    assert innermost["pre_context"][-2:] == ["def total(cart):", "    items = cart.get('items')"]
    assert [f["function"] for f in bug["in_app_frames"]][-2:] == ["checkout", "total"]

    out = agent(["show", str(bugs[0]["id"])], env).stdout
    assert "[sdk]" in out and "shop@3.1.0" in out
    assert "      >    3 |     return items[0]['price']\n" in out
    assert "           7 |     return total(cart) * 2\n" in out  # in total's lines after the failing one
    assert "      >    7 |     return total(cart) * 2\n" in out  # the caller's own frame


class _NoOccurrencesProxy(BaseHTTPRequestHandler):
    """Log Center as a server older than the agent sees it: no occurrences route."""

    upstream = ""

    def _forward(self) -> None:
        if "/occurrences" in self.path:
            body = b'{"error": {"code": "not_found", "message": "no such route"}}'
            self.send_response(404)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            answer = requests.request(self.command, self.upstream + self.path, data=self.rfile.read(length),
                                      headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                                      timeout=10)
            body = answer.content
            self.send_response(answer.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _forward

    def log_message(self, *args) -> None:
        pass


def test_without_occurrences_the_repair_still_runs_with_a_warning(gateway, tmp_path):
    bug_id = report(gateway, 1, "production", FRAMES)
    handler = type("Proxy", (_NoOccurrencesProxy,), {"upstream": gateway.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        seen = tmp_path / "seen.json"
        env = agent_env(f"http://127.0.0.1:{proxy.server_address[1]}", REPAIR_COMMAND=f"cat > {shlex.quote(str(seen))}")
        ran = agent(["run", "--once"], env)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert ran.returncode == 0, ran.stderr
    assert f"bug {bug_id}: could not fetch its occurrences" in ran.stderr and "404" in ran.stderr
    assert f"bug {bug_id}: FIXED" in ran.stdout
    bug = json.loads(seen.read_text())
    assert bug["recent_occurrences"] == [] and bug["in_app_frames"][-1]["file"] == "shop/cart.py"
