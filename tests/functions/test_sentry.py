"""The sentry function with hand-made envelopes over HTTP, on both databases: every item type
with and without `length`, keys, encodings, limits, malformed input, CORS, rate limits."""

import base64
import gzip
import json
import zlib

import brotli
import pytest

from shared.core import limits
from shared.sentry.ratelimit import WINDOW
from shared.settings import reset_settings
from tests.support.sentry import envelope, exception_event, item

ITEM_TYPES = ["transaction", "session", "sessions", "client_report", "attachment", "check_in", "profile",
              "profile_chunk", "replay_event", "replay_recording", "replay_video", "span", "log", "otel_log",
              "feedback", "user_report", "statsd", "metric_buckets", "a_type_invented_in_2031"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    WINDOW.reset()
    yield
    WINDOW.reset()


@pytest.fixture
def sentry(function_client):
    return function_client("sentry")


@pytest.fixture
def shop(function_client):
    r = function_client("projects").post("/api/v1/projects", json={"project_id": "shop"})
    assert r.status_code == 201
    return r.get_json()


@pytest.fixture
def post(sentry, shop):
    def send(body: bytes, expect: int = 200, path: str = "envelope", key: str | None = None, **headers):
        query = "" if key == "" else f"?sentry_key={key or shop['public_key']}"
        r = sentry.post(f"/api/{shop['sentry_id']}/{path}/{query}", data=body, headers=headers)
        assert r.status_code == expect, r.get_data(as_text=True)
        return r

    return send


def all_bugs(bugs):
    return bugs.get("/api/v1/bugs?page_size=200").get_json()["items"]


@pytest.mark.parametrize("with_length", [True, False], ids=["length", "no-length"])
def test_every_item_type_is_accepted_and_only_events_become_bugs(post, bugs, with_length):
    others = [item(kind, {"some": "payload", "kind": kind}, length=with_length) for kind in ITEM_TYPES]
    event = item("event", exception_event(event_id="ab" * 16), length=with_length)
    body = envelope(*others[:9], event, *others[9:], header={"event_id": "ab" * 16, "sent_at": "2026-12-01T00:00:00Z"})
    assert post(body).get_json() == {"id": "ab" * 16}
    [bug] = all_bugs(bugs)
    assert (bug["project_id"], bug["error_type"], bug["file_path"], bug["line_number"], bug["occurrence_count"]) == \
        ("shop", "ValueError", "app/x.py", 42, 1)


def test_binary_attachments_with_newlines_inside_their_length(post, bugs):
    blob = bytes(range(256)) * 4 + b"\n\n{not json\n"
    body = envelope(item("attachment", blob, filename="dump.bin"), item("event", exception_event()),
                    item("replay_recording", b"\x00\n\x01" * 50))
    post(body)
    assert len(all_bugs(bugs)) == 1


def test_an_envelope_without_events_is_accepted_and_stores_nothing(post, bugs):
    r = post(envelope(item("session", {"sid": "x"}, length=False), header={"event_id": "cd" * 16}))
    assert r.get_json() == {"id": "cd" * 16}
    assert post(b"{}\n").get_json() == {"id": None}
    assert post(b"{}").get_json() == {"id": None}
    assert all_bugs(bugs) == []


def test_an_sdk_retry_of_the_same_event_id_is_counted_once(post, bugs):
    body = envelope(item("event", exception_event(event_id="12" * 16)))
    first, second = post(body).get_json(), post(body).get_json()
    assert first == second == {"id": "12" * 16}
    post(envelope(item("event", exception_event(event_id="34" * 16))))
    [bug] = all_bugs(bugs)
    assert bug["occurrence_count"] == 2
    occurrences = bugs.get(f"/api/v1/bugs/{bug['id']}/occurrences").get_json()["items"]
    assert [o["event_id"] for o in occurrences] == ["34" * 16, "12" * 16]


def test_a_sentry_event_and_a_native_report_of_one_error_share_a_bug(post, send, bugs):
    post(envelope(item("event", exception_event(filename="app/orders.py", lineno=17))))
    native = send({"project_id": "shop", "error": {"type": "ValueError", "file_path": "app/orders.py",
                                                    "line_number": 17}})
    assert native["is_new"] is False and native["occurrence_count"] == 2
    assert len(all_bugs(bugs)) == 1


def test_the_event_is_stored_as_design_md_maps_it(post, bugs):
    event = exception_event(
        event_id="ef" * 16, release="shop@9f2c1e0d", environment="staging", server_name="web-1",
        transaction="/orders", tags={"region": "eu", "session_id": "s3cr3t"}, user={"id": 7, "email": "a@b.c"},
        request={"url": "https://shop.example/orders?q=1&token=abc", "method": "POST", "cookies": "sid=1",
                 "headers": {"Authorization": "Bearer x"}},
        contexts={"os": {"name": "Linux"}, "runtime": {"name": "CPython"}, "gpu": {"name": "x"}},
        breadcrumbs={"values": [{"message": f"step {i}"} for i in range(30)]},
        extra={"order": 5, "api_key": "k-123", "nested": {"password": "p", "ok": True}},
        sdk={"name": "sentry.python", "version": "2.75.0", "packages": []}, timestamp=1764547200.5)
    post(envelope(item("event", event)))
    [summary] = all_bugs(bugs)
    bug = bugs.get(f"/api/v1/bugs/{summary['id']}").get_json()
    assert (bug["level"], bug["version"], bug["commit_hash"], bug["environment"]) == \
        ("ERROR", "shop@9f2c1e0d", "9f2c1e0d", "staging")
    assert bug["reported_at"].startswith("2025-12-01T00:00:00.5")
    assert bug["stack_trace"] == [
        {"file": "lib/site.py", "line": 1, "function": "run", "in_app": False},
        {"file": "app/x.py", "line": 42, "function": "handler", "context_line": "    raise ValueError('bad')",
         "in_app": True}]
    s = bug["context"]["sentry"]
    assert s["event_id"] == "ef" * 16 and s["platform"] == "python" and s["server_name"] == "web-1"
    assert s["sdk"] == {"name": "sentry.python", "version": "2.75.0"} and s["transaction"] == "/orders"
    assert s["tags"] == {"region": "eu", "session_id": "[Filtered]"}
    assert s["user"] == {"id": "7"}
    assert s["request"] == {"url": "https://shop.example/orders?q=1&token=[Filtered]", "method": "POST"}
    assert set(s["contexts"]) == {"os", "runtime"}
    assert [c["message"] for c in s["breadcrumbs"]] == [f"step {i}" for i in range(10, 30)]
    assert s["extra"] == {"order": 5, "api_key": "[Filtered]", "nested": {"password": "[Filtered]", "ok": True}}
    stored = json.dumps(bug)
    for secret in ("hunter2", "k-123", "a@b.c", "sid=1", "Bearer x", "s3cr3t"):
        assert secret not in stored


@pytest.mark.parametrize("level, expected", [("fatal", "CRITICAL"), ("error", "ERROR"), ("warning", "WARNING"),
                                             ("info", "INFO"), ("debug", "DEBUG"), ("nonsense", "ERROR")])
def test_levels(post, bugs, level, expected):
    post(envelope(item("event", {"message": "m", "level": level})))
    assert all_bugs(bugs)[0]["level"] == expected


def test_messages_group_by_their_template(post, bugs):
    for user in ("ann", "bob"):
        post(envelope(item("event", {"logentry": {"message": "payment %s failed", "params": [user]},
                                     "level": "warning"})))
    post(envelope(item("event", {"message": "plain text"})))
    by_type = {b["error_type"]: b for b in all_bugs(bugs)}
    assert by_type["payment %s failed"]["occurrence_count"] == 2
    assert by_type["payment %s failed"]["error_message"] == "payment bob failed"
    assert by_type["plain text"]["level"] == "ERROR" and by_type["plain text"]["file_path"] is None


def test_custom_fingerprints(post, bugs):
    for line in (1, 2):
        post(envelope(item("event", exception_event(lineno=line, fingerprint=["payment-gateway-down"]))))
        post(envelope(item("event", exception_event(lineno=line, fingerprint=["{{ default }}", "eu"]))))
        post(envelope(item("event", exception_event(lineno=line, fingerprint=["{{default}}"]))))
    counts = sorted(b["occurrence_count"] for b in all_bugs(bugs))
    # one custom group of 2; default+eu per line (1 each); {{default}} per line (1 each)
    assert counts == [1, 1, 1, 1, 2]
    post(envelope(item("event", exception_event(fingerprint="not-a-list"))), expect=422)
    post(envelope(item("event", exception_event(fingerprint=[{"x": 1}]))), expect=422)


def test_chained_exceptions_keep_every_stack_and_the_last_is_the_main_one(post, bugs):
    cause = {"type": "KeyError", "value": "'id'", "stacktrace": {"frames": [
        {"filename": "app/db.py", "lineno": 9, "in_app": True}]}}
    main = {"type": "LookupFailed", "value": "no order", "stacktrace": {"frames": [
        {"filename": "app/orders.py", "lineno": 30, "in_app": True}, {"filename": "lib/x.py", "lineno": 2}]}}
    post(envelope(item("event", {"exception": {"values": [cause, main]}})))
    [summary] = all_bugs(bugs)
    bug = bugs.get(f"/api/v1/bugs/{summary['id']}").get_json()
    assert (bug["error_type"], bug["error_message"], bug["file_path"], bug["line_number"]) == \
        ("LookupFailed", "no order", "app/orders.py", 30)
    assert bug["stack_trace"] == [
        {"exception": {"type": "KeyError", "value": "'id'"}}, {"file": "app/db.py", "line": 9, "in_app": True},
        {"exception": {"type": "LookupFailed", "value": "no order"}},
        {"file": "app/orders.py", "line": 30, "in_app": True}, {"file": "lib/x.py", "line": 2}]


@pytest.mark.parametrize("body", [
    b"not json\n", b"[]\n", b'{}\n{"type": "event"', b"{}\nnot a header\n{}\n", b'{}\n{"length": 2}\n{}\n',
    b'{}\n{"type": "event", "length": 99}\n{}\n', b'{}\n{"type": "event", "length": -1}\n{}\n',
    b'{}\n{"type": "event", "length": "2"}\n{}\n', b'{}\n{"type": "event"}\n{not json}\n',
    b'{}\n{"type": "event"}\n[1, 2]\n', b'{}\n{"type": "event"}\n{"message": NaN}\n',
    b'{}\n{"type": "event"}\n\xff\xfe\n',
], ids=lambda b: b[:40].decode("latin-1"))
def test_malformed_envelopes_are_400s_in_the_error_shape(post, bugs, body):
    error = post(body, expect=400).get_json()["error"]
    assert error["code"] in ("invalid_envelope", "invalid_json", "bad_request") and error["message"]
    assert all_bugs(bugs) == []


def test_one_bad_event_stores_none_of_the_envelope(post, bugs):
    body = envelope(item("event", exception_event()), item("event", b"{oops", length=True))
    post(body, expect=400)
    assert all_bugs(bugs) == []


def test_keys(sentry, shop, function_client, bugs):
    body = envelope(item("event", {"message": "m"}))
    base = f"/api/{shop['sentry_id']}/envelope/"
    key = shop["public_key"]
    r = sentry.post(base, data=body)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    assert sentry.post(base + "?sentry_key=" + "0" * 32, data=body).get_json()["error"]["code"] == "forbidden"
    other = function_client("projects").post("/api/v1/projects", json={"project_id": "other"}).get_json()
    assert sentry.post(base + "?sentry_key=" + other["public_key"], data=body).status_code == 403
    assert sentry.post(f"/api/999/envelope/?sentry_key={key}", data=body).status_code == 403
    assert sentry.post(f"/api/v1/envelope/?sentry_key={key}", data=body).status_code == 404
    auth = f"Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key={key}"
    assert sentry.post(base, data=body, headers={"X-Sentry-Auth": auth}).status_code == 200
    assert sentry.post(base, data=body, headers={"Authorization": auth}).status_code == 200
    dsn_header = {"dsn": shop["dsn"], "event_id": "99" * 16}
    assert sentry.post(base, data=envelope(item("event", {"message": "m"}), header=dsn_header)).status_code == 200
    wrong_dsn = {"dsn": shop["dsn"].replace(key, "f" * 32)}
    assert sentry.post(base, data=envelope(item("event", {"message": "m"}), header=wrong_dsn)).status_code == 403
    # a wrong key in the query string wins over a right one in the envelope: it is checked first
    assert sentry.post(base + "?sentry_key=bad", data=envelope(header=dsn_header)).status_code == 403
    assert all_bugs(bugs)[0]["occurrence_count"] == 3
    assert sentry.post(base.rstrip("/") + f"?sentry_key={key}", data=body).status_code == 200  # no trailing slash
    assert sentry.post(f"/function/sentry{base}?sentry_key={key}", data=body).status_code == 200


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress), ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some clients send it
    ("br", brotli.compress), ("identity", lambda b: b), ("GZIP", gzip.compress)],
    ids=["gzip", "deflate-zlib", "deflate-raw", "br", "identity", "upper-case"])
def test_encodings(post, bugs, encoding, compress):
    post(compress(envelope(item("event", exception_event()))), **{"Content-Encoding": encoding})
    assert all_bugs(bugs)[0]["error_type"] == "ValueError"


def test_bodies_that_do_not_decode(post):
    body = envelope(item("event", exception_event()))
    assert post(body, expect=400, **{"Content-Encoding": "gzip"}).get_json()["error"]["code"] == "bad_request"
    post(gzip.compress(body)[:-12], expect=400, **{"Content-Encoding": "gzip"})
    post(brotli.compress(body)[:-3], expect=400, **{"Content-Encoding": "br"})
    assert post(body, expect=415, **{"Content-Encoding": "zstd"}).get_json()["error"]["code"] == \
        "unsupported_media_type"


def test_limits_are_413s(post, bugs):
    big_event = envelope(item("event", {"message": "m", "extra": {"blob": "x" * limits.SENTRY_MAX_EVENT}}))
    assert post(big_event, expect=413).get_json()["error"]["code"] == "payload_too_large"
    # a big attachment is fine up to the envelope limit
    post(envelope(item("attachment", b"a" * (2 * 1024 * 1024)), item("event", {"message": "m"})))
    over = envelope(item("attachment", b"a" * limits.SENTRY_MAX_ENVELOPE))
    post(over, expect=413)
    bomb = gzip.compress(b"\0" * (limits.SENTRY_MAX_ENVELOPE + 1))
    assert len(bomb) < 64 * 1024
    post(bomb, expect=413, **{"Content-Encoding": "gzip"})
    post(brotli.compress(b"{}\n" + b" " * (limits.SENTRY_MAX_ENVELOPE + 1)), expect=413, **{"Content-Encoding": "br"})
    assert len(all_bugs(bugs)) == 1


def test_store_endpoint(post, bugs):
    event = exception_event(event_id="56" * 16)
    assert post(json.dumps(event).encode(), path="store").get_json() == {"id": "56" * 16}
    legacy = base64.b64encode(zlib.compress(json.dumps(exception_event(lineno=43)).encode()))
    post(legacy, path="store")
    post(gzip.compress(json.dumps(exception_event(lineno=44)).encode()), path="store", **{"Content-Encoding": "gzip"})
    assert sorted(b["line_number"] for b in all_bugs(bugs)) == [42, 43, 44]
    post(b"{oops", path="store", expect=400)
    post(b"%%%", path="store", expect=400)
    post(json.dumps(event).encode(), path="store", key="", expect=401)


def test_cors_is_open_on_the_ingest_routes_only(sentry, shop, function_client, monkeypatch):
    monkeypatch.setenv("LOGCENTER_CORS_ORIGINS", "https://dashboard.example")
    reset_settings()
    path = f"/api/{shop['sentry_id']}/envelope/?sentry_key={shop['public_key']}"
    preflight = sentry.options(path, headers={"Origin": "https://app.example",
                                              "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    posted = sentry.post(path, data=envelope(item("event", {"message": "m"})), headers={"Origin": "https://app.example"})
    assert posted.headers["Access-Control-Allow-Origin"] == "*"
    refused = sentry.post(path.split("?")[0], data=b"{}", headers={"Origin": "https://app.example"})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
    stray = sentry.get("/api/v1/whatever", headers={"Origin": "https://app.example"})
    assert stray.status_code == 404 and "Access-Control-Allow-Origin" not in stray.headers
    projects = function_client("projects").get("/api/v1/projects", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in projects.headers


def test_rate_limit_answers_the_way_sdks_understand(post, bugs, monkeypatch):
    monkeypatch.setenv("LOGCENTER_SENTRY_EVENTS_PER_MINUTE", "3")
    reset_settings()
    for line in range(3):
        post(envelope(item("event", exception_event(lineno=line))))
    limited = post(envelope(item("event", exception_event(lineno=9))), expect=429)
    assert limited.get_json()["error"]["code"] == "rate_limited"
    retry = int(limited.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert limited.headers["X-Sentry-Rate-Limits"] == f"{retry}:error;default:project"
    post(envelope(item("session", {"sid": "x"})))  # no events: nothing to count
    assert sorted(b["line_number"] for b in all_bugs(bugs)) == [0, 1, 2]


def test_hostile_bodies_on_the_production_server(db_url, shop, tmp_path):
    """Through gunicorn: a declared 2 GB body is refused before it is sent, a chunked stream
    that never stops is cut at the limit, and a chunked gzip envelope (as @sentry/node
    streams it) is read to its end."""
    import http.client
    import socket
    import threading

    from tests.support.function_server import FunctionServer

    server = FunctionServer("sentry", "sentry", db_url, log_path=tmp_path / "sentry.log").start()
    try:
        path = f"/api/{shop['sentry_id']}/envelope/?sentry_key={shop['public_key']}"
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000000\r\n\r\n".encode())
            assert sock.recv(65536).split(b"\r\n", 1)[0].endswith(b"413 REQUEST ENTITY TOO LARGE")

        # A chunked stream past the limit: the answer is read while still sending (the server
        # answers 413 after 20 MiB and closes; the rest of the stream is never read).
        answer: list[bytes] = []
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            reader = threading.Thread(target=lambda: answer.append(sock.recv(65536)))
            reader.start()
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
            chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
            try:
                for _ in range(limits.SENTRY_MAX_ENVELOPE // 65536 + 256):
                    sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            reader.join(30)
        assert answer and answer[0].split(b"\r\n", 1)[0].endswith(b"413 REQUEST ENTITY TOO LARGE"), answer

        body = gzip.compress(envelope(item("event", exception_event(), length=False)))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", path, body=iter([body[:100], body[100:]]), encode_chunked=True,
                     headers={"Content-Encoding": "gzip"})
        answer = conn.getresponse()
        assert answer.status == 200, answer.read()
        conn.close()
    finally:
        server.stop()
