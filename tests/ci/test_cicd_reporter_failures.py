"""The reporter never fails the pipeline: exit 0 and one short notice whatever goes wrong."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.ci.reporter_support import BASE_PATH, SCRIPT, bugs_of, get_bug, run_reporter, unique_project
from tests.support.gateway import free_port


def notice_lines(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


def assert_one_notice(run, *fragments: str) -> str:
    assert run.returncode == 0, run
    lines = notice_lines(run)
    assert len(lines) == 1, f"expected one notice line, got {lines!r}"
    line = lines[0]
    assert line.startswith("log-center: ")
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def test_unreachable_server_exits_0(tmp_path):
    port = free_port()                                  # bound once, now closed: connection refused
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": f"http://127.0.0.1:{port}"})
    assert_one_notice(run, "cannot connect", "not reported")
    assert run.stdout == ""
    assert run.elapsed < 5


@pytest.fixture(scope="module", autouse=True)
def never_answering_run(tmp_path_factory):
    """The reporter against a server that accepts, reads and never answers.

    It takes about 10 s by design, so it starts with this module and runs alongside the
    other tests; test_server_that_never_answers_gives_up_after_10_seconds (last) collects it.
    """
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            accepted.append(conn)                        # kept open, never answered
            conn.settimeout(0.2)
            try:
                while not stop.is_set() and conn.recv(65536):
                    pass
            except OSError:
                pass

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    log = tmp_path_factory.mktemp("silent") / "log.txt"
    log.write_text("error: x\n")
    result: dict = {}

    def report():
        result["run"] = run_reporter(["proj", "build", "--log-file", str(log)],
                                     {"LOG_CENTER_URL": f"http://127.0.0.1:{srv.getsockname()[1]}"}, timeout=40)

    client = threading.Thread(target=report, daemon=True)
    client.start()
    yield client, result, accepted
    client.join(40)
    stop.set()
    server.join(5)
    for conn in accepted:
        conn.close()
    srv.close()


def test_token_is_sent_when_set(live_gateway):
    gw = live_gateway(env={"LOGCENTER_INGEST_TOKEN": "ingest-secret-123"})
    project = unique_project("token")
    run = run_reporter([project, "build", "boom"],
                       {"LOG_CENTER_URL": gw.url, "LOG_CENTER_TOKEN": "ingest-secret-123"})
    assert_one_notice(run, "reported BuildError", "(new)")
    assert get_bug(gw.url, run.bug_id())["project_id"] == project
    assert "ingest-secret-123" not in run.output


@pytest.mark.parametrize("token", ["wrong-token-456", ""], ids=["wrong", "missing"])
def test_wrong_or_missing_token_exits_0_with_a_notice(live_gateway, token):
    gw = live_gateway(env={"LOGCENTER_INGEST_TOKEN": "ingest-secret-123"})
    project = unique_project("badtoken")
    env = {"LOG_CENTER_URL": gw.url}
    if token:
        env["LOG_CENTER_TOKEN"] = token
    run = run_reporter([project, "build", "boom"], env)
    assert_one_notice(run, "HTTP 401", "not reported")
    assert token == "" or token not in run.output
    assert bugs_of(gw.url, project) == []


def test_a_trailing_slash_in_the_url_is_handled(gateway):
    run = run_reporter([unique_project("slash"), "build", "x"], {"LOG_CENTER_URL": gateway.url + "/"})
    assert_one_notice(run, "reported")


def test_validation_error_exits_0_and_names_the_field(gateway):
    run = run_reporter(["not a valid id!", "build", "boom"], {"LOG_CENTER_URL": gateway.url})
    assert_one_notice(run, "HTTP 422", "validation_error", "project_id", "not reported")


def test_404_exits_0(gateway):
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": gateway.url + "/api"})
    assert_one_notice(run, "HTTP 404", "not_found")


@pytest.fixture
def canned_server():
    """Factory: a server on a free port that answers one request with a fixed response."""
    servers: list[tuple[socket.socket, threading.Thread]] = []

    def start(status: str, body: bytes, content_type: str = "text/html") -> str:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)

        def answer():
            conn, _ = srv.accept()
            conn.recv(65536)
            conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            conn.close()

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        servers.append((srv, t))
        return f"http://127.0.0.1:{srv.getsockname()[1]}"

    yield start
    for srv, t in servers:
        t.join(5)
        srv.close()


def test_a_server_answering_garbage_exits_0(canned_server):
    """A proxy error page: 502 with HTML, not JSON."""
    url = canned_server("502 Bad Gateway", b"<html><body>502 Bad Gateway</body></html>")
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": url})
    assert_one_notice(run, "HTTP 502", "not reported")


@pytest.mark.parametrize("body, content_type", [
    (b"<!doctype html><title>Log Center</title>", "text/html"),
    (b'{"ok": true}', "application/json"),
])
def test_a_200_that_is_not_a_report_receipt_is_not_taken_for_success(canned_server, body, content_type):
    """A wrong LOG_CENTER_URL can land on a web page (a dashboard, a login page) that answers 200."""
    url = canned_server("200 OK", body, content_type)
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": url})
    assert_one_notice(run, "HTTP 200 without a report receipt", "not reported")


def test_log_center_url_unset_exits_0():
    run = run_reporter(["proj", "build", "boom"], {})
    assert_one_notice(run, "LOG_CENTER_URL is not set")


@pytest.mark.parametrize("url", ["ftp://example.com", "file:///etc/passwd", "logcenter:8080"])
def test_log_center_url_without_http_scheme_exits_0(url):
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": url})
    assert_one_notice(run, "must start with http")


def _path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH with every command of /usr/bin and /bin except `missing`."""
    bindir = tmp_path / ("bin-without-" + "-".join(missing))
    bindir.mkdir()
    for d in ("/usr/bin", "/bin"):
        for entry in os.scandir(d):
            target = bindir / entry.name
            if entry.name in missing or target.exists() or target.is_symlink():
                continue
            target.symlink_to(entry.path)
    return str(bindir)


def test_jq_missing_exits_0(gateway, tmp_path):
    path = _path_without(tmp_path, "jq")
    project = unique_project("nojq")
    run = run_reporter([project, "build", "boom"], {"LOG_CENTER_URL": gateway.url}, path=path)
    assert_one_notice(run, "jq not found", "not reported")
    assert bugs_of(gateway.url, project) == []


def test_curl_missing_exits_0(gateway, tmp_path):
    path = _path_without(tmp_path, "curl")
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": gateway.url}, path=path)
    assert_one_notice(run, "curl not found")


def test_a_too_old_jq_exits_0(gateway, tmp_path):
    """A jq that fails (as jq 1.5 does on --rawfile) must not fail the step either."""
    bindir = tmp_path / "oldjq"
    bindir.mkdir()
    (bindir / "jq").write_text("#!/bin/sh\necho 'jq: Unknown arguments: --rawfile' >&2\nexit 2\n")
    (bindir / "jq").chmod(0o755)
    run = run_reporter(["proj", "build", "boom"], {"LOG_CENTER_URL": gateway.url}, path=f"{bindir}:{BASE_PATH}")
    assert_one_notice(run, "jq 1.6 or newer")


@pytest.mark.parametrize("args, fragment", [
    ([], "project_id and step_name are required"),
    (["proj"], "project_id and step_name are required"),
    (["proj", "build", "msg", "extra"], "too many arguments"),
    (["proj", "build", "--bogus"], "unknown option '--bogus'"),
    (["proj", "build", "--token=s3cret-value"], "unknown option '--token'"),
    (["proj", "build", "--log-file"], "--log-file needs a path"),
    (["proj", "build", "--error-type"], "--error-type needs a value"),
    (["", "build"], "project_id is empty"),
    (["proj", ""], "step_name is empty"),
])
def test_bad_arguments_exit_0_with_a_usage_notice(gateway, args, fragment):
    run = run_reporter(args, {"LOG_CENTER_URL": gateway.url})
    assert_one_notice(run, fragment, "usage: report-cicd-error.sh <project_id> <step_name>")
    assert run.stdout == "" and "s3cret" not in run.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_0(flag):
    run = run_reporter(["proj", flag], {})
    assert run.returncode == 0
    assert run.stdout.startswith("Usage: report-cicd-error.sh <project_id> <step_name> [message]")
    for option in ("--log-file", "--error-type", "--dry-run", "LOG_CENTER_URL", "LOG_CENTER_TOKEN"):
        assert option in run.stdout
    assert run.stderr == ""


def test_early_exit_still_drains_stdin():
    """`producer | report --log-file -` must not kill the producer with SIGPIPE (pipefail)."""
    big = "y" * 1024 + "\n"
    result = subprocess.run(
        ["/usr/bin/bash", "-c",
         f'set -o pipefail; for i in $(seq 2000); do printf "%s" "{big.strip()}"; echo; done '
         f'| bash "{SCRIPT}" proj build --log-file -'],
        env={"PATH": BASE_PATH}, capture_output=True, timeout=30, text=True)
    assert result.returncode == 0, result
    assert "LOG_CENTER_URL is not set" in result.stderr


def test_set_u_and_an_empty_environment_are_fine(gateway):
    """No HOME, no TMPDIR, no GITHUB_*: nothing unbound."""
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/bash", "-u", str(SCRIPT), unique_project("bare"), "build", "boom"],
                          env={"PATH": BASE_PATH, "LOG_CENTER_URL": gateway.url},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and time.monotonic() - start < 10
    assert "unbound" not in proc.stderr
    assert proc.stderr.startswith("log-center: reported BuildError"), proc.stderr


def test_the_notice_is_one_line_even_for_a_multi_line_step_name(gateway):
    run = run_reporter([unique_project("oneline"), "build\nsecond line\r\tthird", "boom"],
                       {"LOG_CENTER_URL": gateway.url})
    line = assert_one_notice(run, "reported BuildError")
    assert "build second line  third" in line
    assert get_bug(gateway.url, run.bug_id())["context"]["step_name"] == "build\nsecond line\r\tthird"


def test_server_that_never_answers_gives_up_after_10_seconds(never_answering_run):
    client, result, accepted = never_answering_run
    client.join(40)
    assert not client.is_alive(), "the reporter is still waiting after 40 s"
    run = result["run"]
    assert_one_notice(run, "did not answer within 10 s")
    assert accepted, "the script never connected"
    assert 9 <= run.elapsed < 15, run.elapsed
