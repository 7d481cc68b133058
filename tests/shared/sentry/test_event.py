"""Event → Report: the DESIGN.md mapping, field by field, without a database."""

import pytest

from shared.core.fingerprint import DEFAULT_PART
from shared.http.errors import ApiError
from shared.sentry.event import event_id_of, to_report

EID = "0123456789abcdef0123456789abcdef"


def report(event, project="shop"):
    return to_report(event, project, EID)


def test_innermost_in_app_frame_else_innermost_and_path_fallbacks():
    frames = [{"filename": "app/a.py", "lineno": 1, "in_app": True}, {"filename": "lib/b.py", "lineno": 2}]
    r = report({"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}})
    assert (r.file_path, r.line_number) == ("app/a.py", 1)
    r = report({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        {"abs_path": "/srv/x.py", "lineno": 3}, {"module": "pkg.mod", "lineno": 4}]}}]}})
    assert (r.file_path, r.line_number) == ("pkg.mod", 4)
    r = report({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        {"filename": "a.js", "lineno": -1, "in_app": True}]}}]}})
    assert (r.file_path, r.line_number) == ("a.js", None)


def test_the_older_exception_list_form_and_a_missing_type():
    r = report({"exception": [{"value": "no type here"}]})
    assert (r.error_type, r.error_message) == ("no type here", "no type here")
    assert report({"exception": {"values": [{}]}}).error_type == "Error"
    assert report({"exception": {"values": [{"type": "\x00"}]}}).error_type == "<unlabeled event>"


def test_frames_drop_vars_and_bound_context_lines():
    lines = [f"l{i}" for i in range(9)]
    frame = {"filename": "a.py", "lineno": 5, "colno": 7, "function": "f", "module": "a", "in_app": True,
             "abs_path": "/srv/a.py", "vars": {"password": "x"}, "pre_context": lines, "post_context": lines,
             "context_line": "boom()", "instruction_addr": "0x1"}
    [stored] = report({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]}}).stack_trace
    assert stored == {"file": "a.py", "line": 5, "column": 7, "function": "f", "module": "a", "in_app": True,
                      "context_line": "boom()", "abs_path": "/srv/a.py", "pre_context": lines[-5:],
                      "post_context": lines[:5]}


def test_message_events():
    r = report({"logentry": {"message": "user %s failed", "params": ["ann"]}})
    assert (r.error_type, r.error_message) == ("user %s failed", "user ann failed")
    r = report({"logentry": {"message": "user %(name)s", "params": {"name": "bob"}}})
    assert r.error_message == "user bob"
    r = report({"logentry": {"message": "bad %d", "params": ["x"]}})  # a template that does not format
    assert r.error_message == "bad %d"
    r = report({"logentry": {"formatted": "only formatted"}})
    assert (r.error_type, r.error_message) == ("only formatted", "only formatted")
    r = report({"message": {"message": "legacy %s", "formatted": "legacy x"}})
    assert (r.error_type, r.error_message) == ("legacy %s", "legacy x")
    assert report({}).error_type == "<unlabeled event>"


def test_threads_give_a_message_its_location():
    r = report({"message": "m", "threads": {"values": [{"stacktrace": {"frames": [
        {"filename": "app/t.py", "lineno": 9, "in_app": True}]}}]}})
    assert (r.file_path, r.line_number) == ("app/t.py", 9)


@pytest.mark.parametrize("release, tags, version, commit", [
    ("shop@9f2c1e0", None, "shop@9f2c1e0", "9f2c1e0"),
    ("9F2C1E0D3A", None, "9F2C1E0D3A", "9f2c1e0d3a"),
    ("1.4.2", {"commit": "abcdef1"}, "1.4.2", "abcdef1"),
    ("1.4.2", [["commit", "abcdef12"]], "1.4.2", "abcdef12"),
    ("shop@1.4.2", {"commit": "not-hex"}, "shop@1.4.2", None),
    (None, None, None, None),
])
def test_release_version_and_commit(release, tags, version, commit):
    r = report({"message": "m", "release": release, "tags": tags})
    assert (r.version, r.commit_hash) == (version, commit)


@pytest.mark.parametrize("value, expected", [
    (1764547200, "2025-12-01 00:00:00"), ("2025-12-01T00:00:00", "2025-12-01 00:00:00"),
    ("2025-12-01T08:00:00+08:00", "2025-12-01 00:00:00"), ("yesterday", None), (True, None), (1e30, None),
    ("9999-12-31T23:59:59-01:00", None), (-1e12, None),
])
def test_timestamps(value, expected):
    r = report({"message": "m", "timestamp": value})
    assert (str(r.reported_at) if r.reported_at else None) == expected


def test_fingerprints():
    assert report({"message": "m"}).fingerprint_parts is None
    assert report({"message": "m", "fingerprint": ["{{ default }}"]}).fingerprint_parts is None
    assert report({"message": "m", "fingerprint": ["{{default}}", 3]}).fingerprint_parts == [DEFAULT_PART, "3"]
    assert report({"message": "m", "fingerprint": ["x" * 500]}).fingerprint_parts == ["x" * 200]
    for bad in ([], "x", [None], [["nested"]], ["p"] * 33):
        with pytest.raises(ApiError) as exc:
            report({"message": "m", "fingerprint": bad})
        assert exc.value.status == 422


def test_event_ids():
    assert event_id_of({"event_id": "0123456789ABCDEF0123456789ABCDEF"}) == EID.lower()
    assert event_id_of({"event_id": "01234567-89ab-cdef-0123-456789abcdef"}) == EID
    assert event_id_of({"event_id": "nope"}, EID) == EID
    generated = event_id_of({"event_id": 5})
    assert len(generated) == 32 and generated != event_id_of({})


def test_limits_of_the_native_report_apply():
    r = report({"exception": {"values": [{"type": "T" * 300, "value": "v" * 20_000}]}, "environment": "e" * 100})
    assert len(r.error_type) == 255 and len(r.error_message) == 16_384 and len(r.environment) == 64
    assert set(r.truncated) >= {"error.type", "error.message", "environment"}
    deep = {"a": None}
    node = deep
    for _ in range(30):
        node["a"] = {"a": None}
        node = node["a"]
    r = report({"message": "m", "extra": deep})  # capped, never a 422 for depth
    assert "[…]" in str(r.context)
