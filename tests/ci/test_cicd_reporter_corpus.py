"""Real failing CI logs (tests/ci/corpus, sources in cases.yaml) through the real reporter
(bash + jq + curl) into a live Log Center (SQLite and PostgreSQL): the message is the first line of the real failure,
the type comes from the step name when it is telling and from the log when it is not, and a
report whose answer was lost is retried with the same event_id and counted once."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import yaml

from tests.ci.reporter_support import ROOT, get_bug, run_reporter, unique_project
from tests.support.databases import truncate_all
from tests.support.gateway import LiveGateway

CORPUS = ROOT / "tests/ci/corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())


def report(gateway, step, log_path, *extra):
    project = unique_project("corpus")
    run = run_reporter([project, step, "--log-file", str(log_path), *extra], {"LOG_CENTER_URL": gateway.url})
    assert run.returncode == 0, run
    return get_bug(gateway.url, run.bug_id()), run


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def both_databases(request, tmp_path_factory):
    """A live gateway on each database for the whole module (each case has its own project)."""
    tmp = tmp_path_factory.mktemp(f"corpus_{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'logcenter.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        truncate_all(url)
    gw = LiveGateway(url, log_path=tmp / "gateway.log").start()
    yield gw
    gw.stop()


@pytest.mark.parametrize("case", CASES, ids=[c["log"] for c in CASES])
def test_real_logs_give_the_real_failure(both_databases, case):
    gateway = both_databases
    bug, run = report(gateway, case["step"], CORPUS / case["log"])
    assert (bug["error_type"], bug["error_message"]) == (case["type"], case["message"]), case["source"]
    assert bug["source"] == "cicd" and bug["context"]["step_name"] == case["step"]
    assert bug["context"]["log_tail"].rstrip("\n") == (CORPUS / case["log"]).read_text().rstrip("\n")
    assert f"reported {case['type']} " in run.stderr


def test_every_tool_of_the_issue_is_in_the_corpus():
    logs = " ".join(c["log"] for c in CASES)
    for tool in ("cargo", "go-test", "pytest", "jest", "vite", "npm", "pnpm", "eslint", "docker-buildkit",
                 "helm", "kubectl"):
        assert tool in logs, tool
    assert all(c["source"].startswith("https://") for c in CASES)


# Wrappers printed after the real failure: the shapes issue 12 names, in the order the tools
# print them. Each must lose against the line before it.
WRAPPED = {
    "npm-run-all under pnpm": ("pnpm build", "NpmBuildError", """\
> web@1.0.0 build:css
> sass src/main.scss dist/main.css

Error: Undefined variable.
  ╷
3 │   color: $brand;
  ╵
  src/main.scss 3:10  root stylesheet
ERROR: "build:css" exited with 1.
 ELIFECYCLE  Command failed with exit code 1.
└─ Failed in 5.5s at /home/runner/work/web/web
""", "Error: Undefined variable."),
    "npm-run-all alone": ("pnpm build", "NpmBuildError", """\
ERROR: "build:x" exited with 1.
 ELIFECYCLE  Command failed with exit code 1.
└─ Failed in 5.5s at /home/runner/work/web/web
""", 'ERROR: "build:x" exited with 1.'),
    "go test package summary": ("go test", "TestFailure", """\
=== RUN   TestParse
    parse_test.go:21: got "a", want "b"
--- FAIL: TestParse (0.00s)
FAIL
FAIL\tgithub.com/team/app/parse\t0.005s
FAIL
""", '--- FAIL: TestParse (0.00s)'),
    "go test, detail after the FAIL line": ("go test", "TestFailure", """\
--- FAIL: TestParse (0.00s)
    parse_test.go:21: got "a", want "b"
FAIL
FAIL\tgithub.com/team/app/parse\t0.005s
""", '--- FAIL: TestParse (0.00s) parse_test.go:21: got "a", want "b"'),
    "make wrapper": ("make", "BuildError", """\
gcc -c main.c
main.c:3:10: fatal error: stdio2.h: No such file or directory
compilation terminated.
make: *** [Makefile:4: main.o] Error 1
##[error]Process completed with exit code 2.
""", "main.c:3:10: fatal error: stdio2.h: No such file or directory"),
}


# Output shapes of tools whose corpus sample would add nothing new, written the way the
# tool prints them: jest's console blocks come before the failure and are not one; ruff's
# newer "CODE message / --> file" layout; mypy's "file:line: error: … [code]".
WRAPPED.update({
    "jest console before the failure": ("npm test", "TestFailure", """\
  ● Console

    console.log
      starting the server

  ● math › adds

    expect(received).toBe(expected) // Object.is equality

Tests:       1 failed, 3 passed, 4 total
""", "● math › adds: expect(received).toBe(expected) // Object.is equality"),
    "ruff, newer layout": ("make check", "LintError", """\
F401 [*] `os` imported but unused
 --> src/app/main.py:1:8
  |
1 | import os
  |        ^^
Found 1 error.
[*] 1 fixable with the `--fix` option.
""", "src/app/main.py:1:8: F401 [*] `os` imported but unused"),
    "mypy": ("make check", "LintError", """\
src/app/models.py:12: error: Incompatible types in assignment (expression has type "str", variable has type "int")  [assignment]
Found 1 error in 1 file (checked 20 source files)
""", 'src/app/models.py:12: error: Incompatible types in assignment (expression has type "str", '
        'variable has type "int")  [assignment]'),
})


@pytest.mark.parametrize("name", WRAPPED)
def test_wrappers_after_the_failure_are_skipped(gateway, tmp_path, name):
    step, error_type, text, expected = WRAPPED[name]
    log = tmp_path / "log.txt"
    log.write_text(text, encoding="utf-8")
    bug, _ = report(gateway, step, log)
    assert (bug["error_type"], bug["error_message"]) == (error_type, expected)


def test_the_step_name_wins_when_it_is_telling_and_the_option_wins_over_both(gateway):
    buildkit = CORPUS / "docker-buildkit-tsc.log"
    assert report(gateway, "make push", buildkit)[0]["error_type"] == "DockerBuildError"    # from the log
    assert report(gateway, "npm run build", buildkit)[0]["error_type"] == "NpmBuildError"   # from the name
    assert report(gateway, "make push", buildkit, "--error-type", "ReleaseError")[0]["error_type"] == "ReleaseError"
    kubectl = CORPUS / "kubectl-validation-connection-refused.log"
    assert report(gateway, "make rollout", kubectl)[0]["error_type"] == "DeployError"
    plain = ROOT / "tests/ci/corpus/go-panic-make.log"
    assert report(gateway, "make start", plain)[0]["error_type"] == "BuildError"          # nothing telling


class _LossyProxy(BaseHTTPRequestHandler):
    """Forwards each report to Log Center; the first answer is lost (a 503 after the commit)."""

    upstream = ""
    bodies: list[bytes] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.bodies.append(body)
            first = len(self.bodies) == 1
        answer = requests.post(self.upstream + self.path, data=body, timeout=10,
                               headers={"Content-Type": "application/json"})
        status, payload = (503, b'{"error": {"code": "unavailable", "message": "database restarting"}}') \
            if first else (answer.status_code, answer.content)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # noqa: ANN002 - keep the test output clean
        pass


def test_a_lost_answer_is_retried_with_the_same_event_id_and_counted_once(both_databases, tmp_path):
    gateway = both_databases
    _LossyProxy.upstream, _LossyProxy.bodies = gateway.url, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LossyProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        project = unique_project("retry")
        log = CORPUS / "go-test-fail.log"
        run = run_reporter([project, "go test", "--log-file", str(log)],
                           {"LOG_CENTER_URL": f"http://127.0.0.1:{server.server_address[1]}"})
    finally:
        server.shutdown()
        thread.join(5)
    assert run.returncode == 0 and "reported TestFailure" in run.stderr, run
    first, second = (json.loads(b) for b in _LossyProxy.bodies)
    assert first == second and len(first["event_id"]) == 32 and int(first["event_id"], 16) >= 0
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["occurrence_count"] == 1
    # A new run of the reporter is a new failure: a new id, counted again.
    again = run_reporter([project, "go test", "--log-file", str(log)], {"LOG_CENTER_URL": gateway.url})
    assert again.bug_id() == bug["id"] and get_bug(gateway.url, bug["id"])["occurrence_count"] == 2
