"""Paths no file or route can have (issue 11, item 7): a NUL, a segment longer than a file name,
a path longer than PATH_MAX. Each is a JSON 404 from the gateway (whose static-file fallback
used to hand them to the file system: Flask's HTML 500 and a traceback with the raw NUL in the
log) and from every function alone; nothing raw reaches the log."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from shared.gateway import create_app
from tests.functions.conftest import runtime

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = [
    "/config.js%00",
    "/index.html%00.js",
    "/assets/%00x.js",
    "/bugs/%00",
    "/bugs/1%1b%5b2J",                       # ESC[2J: clears a terminal that shows the log
    "/bugs/x%0d%0aFORGED%20log%20line",
    "/" + "a" * 256,                         # one segment past NAME_MAX
    "/assets/" + "b" * 300 + ".js",
    "/" + "a/" * 2100,                       # past PATH_MAX (4096)
    "/" + "%C3%A9" * 130,                     # 130 characters, 260 bytes in UTF-8
    "/api/v1/bugs/" + "1" * 300,
    "/api/v1/bugs%00",
    "/function/bugs/" + "x" * 5000,
]


@pytest.fixture
def served_gateway(db_url, tmp_path):
    """The gateway's WSGI app behind a real HTTP server, with a built dashboard to fall back to."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Log Center</title>")
    (dist / "config.js").write_text("window.LOGCENTER_CONFIG = {apiBaseUrl: ''};")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    server = make_server("127.0.0.1", 0, create_app(web_dist=dist), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


_WERKZEUG_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _assert_nothing_raw_logged(caplog) -> None:
    for record in caplog.records:
        line = record.getMessage()
        if record.name == "werkzeug":  # its access log colours the status by itself
            line = _WERKZEUG_COLOUR.sub("", line)
        assert record.levelno < logging.ERROR, line
        assert not record.exc_info, line
        assert all(ch.isprintable() for ch in line), repr(line)


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p[:30])
def test_gateway_answers_json_404_and_logs_nothing_raw(served_gateway, caplog, path):
    caplog.set_level(logging.DEBUG)
    for method in ("GET", "HEAD", "POST"):
        r = requests.request(method, served_gateway + path, timeout=10)
        assert r.status_code == 404, (method, r.status_code, r.text[:200])
        assert r.headers["Content-Type"].startswith("application/json")
        if method != "HEAD":
            error = r.json()["error"]
            assert error["code"] == "not_found"
            assert len(error["message"]) < 300 and all(ch.isprintable() for ch in error["message"])
    _assert_nothing_raw_logged(caplog)


def test_gateway_still_serves_files_and_pages(served_gateway):
    assert requests.get(served_gateway + "/config.js", timeout=10).text.startswith("window.")
    assert requests.get(served_gateway + "/assets/app.js", timeout=10).status_code == 200
    page = requests.get(served_gateway + "/bugs/12", timeout=10)
    assert page.status_code == 200 and "Log Center" in page.text
    assert requests.get(served_gateway + "/" + "a" * 255, timeout=10).status_code == 200  # NAME_MAX fits
    r = requests.post(served_gateway + "/api/v1/logs/report", json=runtime(), timeout=10)
    assert r.status_code == 201


@pytest.mark.parametrize("name", ["report", "bugs", "tasks", "stats", "retention"])
def test_each_function_alone_answers_json_404(function_client, caplog, name):
    caplog.set_level(logging.DEBUG)
    client = function_client(name)
    for path in HOSTILE:
        r = client.get(path)
        assert r.status_code == 404 and r.is_json, (path[:40], r.status_code, r.data[:200])
        assert all(ch.isprintable() for ch in r.get_json()["error"]["message"])
    _assert_nothing_raw_logged(caplog)
