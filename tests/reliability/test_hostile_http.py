"""Hostile requests at the HTTP level, against the production server (gunicorn) of report.

Found here: functions-framework reads the whole request body after every answer, before
sending it. A body the function refused as too large was therefore read anyway - into
memory, as far as the client cared to send or declare (shared/http/router.py _skip_unbounded_drain).
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.reliability.load import FunctionServer

OK = json.dumps({"project_id": "p", "error": {"type": "E"}}).encode()
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path):
    s = FunctionServer("report", {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}, tmp_path / "report.log",
                       threads=4).start()
    yield s
    s.stop()


def _chunks(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _peak_rss_kib(server: FunctionServer) -> int:
    pid = server.proc.pid
    worker = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
    for line in Path(f"/proc/{worker}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # peak resident size
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _raw(server: FunctionServer, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes; return the answer's head and its body (as far as Content-Length says).
    The server may send the head and the body in separate segments: one recv() is not enough."""
    with socket.create_connection(("127.0.0.1", server.port)) as c:
        c.settimeout(wait)
        c.sendall(data)
        answer = c.recv(4096)
        while b"\r\n\r\n" in answer or not answer:
            head, _, body = answer.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(body) >= length:
                break
            more = c.recv(4096)
            if not more:
                break
            answer += more
        return answer


def test_a_declared_huge_body_is_refused_without_waiting_for_it(server):
    started = time.monotonic()
    head = (b"POST /api/v1/logs/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n")
    answer = _raw(server, head + b"{" + b" " * (MIB + 10))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"payload_too_large"' in answer
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("length", [b"2000000", b"99999999999999999999"])
def test_an_absurd_content_length_is_413_at_once(server, length):
    answer = _raw(server, b"POST /api/v1/logs/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: " + length + b"\r\n\r\n" + OK)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_streamed_100_mib_body_is_not_kept_in_memory(server):
    before = _peak_rss_kib(server)
    r = requests.post(server.url + "/api/v1/logs/report", data=_chunks(b"x" * (100 * MIB), MIB), headers=JSON,
                      timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    grown = _peak_rss_kib(server) - before
    assert grown < 40 * 1024, f"the worker peak grew by {grown} KiB"


def test_chunked_bodies(server):
    big = json.dumps({"project_id": "p", "error": {"type": "E"}, "context": {"x": "y" * 3 * MIB}}).encode()
    assert requests.post(server.url + "/api/v1/logs/report", data=_chunks(big), headers=JSON, timeout=30).status_code == 413
    bomb = gzip.compress(b"[" + b"0," * (50 * MIB) + b"0]", 9)
    r = requests.post(server.url + "/api/v1/logs/report", data=_chunks(bomb),
                      headers={**JSON, "Content-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 413
    r = requests.post(server.url + "/api/v1/logs/report", data=_chunks(OK, 5), headers=JSON, timeout=30)
    assert r.status_code == 201


def test_broken_http_is_a_4xx_and_the_server_keeps_serving(server):
    r = requests.post(server.url + "/api/v1/logs/report", data=OK, headers={**JSON, "X-Big": "a" * 20_000}, timeout=10)
    assert 400 <= r.status_code < 500
    r = requests.post(server.url + "/api/v1/logs/report", data=OK,
                      headers={**JSON, **{f"X-H{i}": "v" for i in range(200)}}, timeout=10)
    assert 400 <= r.status_code < 500
    for raw in (b"POST /api/v1/logs/report HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + OK,
                b"POST /api/v1/logs/report HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n" + OK,
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100 + b"\r\n\r\n",
                b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
        answer = _raw(server, raw)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4") or answer.startswith(b"HTTP/1.0 4"), answer[:200]
    assert requests.get(server.url + "/_/health", timeout=5).status_code == 200
    assert requests.post(server.url + "/api/v1/logs/report", data=OK, headers=JSON, timeout=5).status_code == 201
