import pytest

from shared.core import limits
from shared.http.errors import ValidationFailed
from shared.ingest.validation import validate_report


def fields(exc: ValidationFailed) -> dict[str, str]:
    return {d["field"]: d["issue"] for d in exc.details}


def test_minimal_payload_defaults_to_runtime_error():
    r = validate_report({"project_id": "rtc_backend", "error": {"type": "ValueError"}})
    assert (r.source, r.level, r.file_path, r.line_number, r.context) == ("runtime", "ERROR", None, None, {})


def test_level_and_source_are_case_insensitive():
    r = validate_report({"project_id": "p", "source": "CICD", "level": "warning", "error": {"type": "E"}})
    assert (r.source, r.level) == ("cicd", "WARNING")


@pytest.mark.parametrize("payload, field", [
    ({"error": {"type": "E"}}, "project_id"),
    ({"project_id": "p"}, "error.type"),
    ({"project_id": "p", "error": {}}, "error.type"),
    ({"project_id": "p", "error": {"type": "  "}}, "error.type"),
    ({"project_id": "p", "error": "boom"}, "error"),
    ({"project_id": 5, "error": {"type": "E"}}, "project_id"),
    ({"project_id": "bad id!", "error": {"type": "E"}}, "project_id"),
    ({"project_id": "x" * 65, "error": {"type": "E"}}, "project_id"),
    ({"project_id": "p", "source": "mobile", "error": {"type": "E"}}, "source"),
    ({"project_id": "p", "level": "FATAL", "error": {"type": "E"}}, "level"),
    ({"project_id": "p", "error": {"type": "E", "line_number": -1}}, "error.line_number"),
    ({"project_id": "p", "error": {"type": "E", "line_number": 2**31}}, "error.line_number"),
    ({"project_id": "p", "error": {"type": "E", "line_number": "42"}}, "error.line_number"),
    ({"project_id": "p", "error": {"type": "E", "line_number": True}}, "error.line_number"),
    ({"project_id": "p", "error": {"type": "E", "stack_trace": 5}}, "error.stack_trace"),
    ({"project_id": "p", "error": {"type": "E"}, "context": []}, "context"),
    ({"project_id": "p", "error": {"type": "E"}, "timestamp": "yesterday"}, "timestamp"),
    ({"project_id": "p", "error": {"type": "E", "message": ["a"]}}, "error.message"),
])
def test_invalid_fields_are_named(payload, field):
    with pytest.raises(ValidationFailed) as info:
        validate_report(payload)
    assert field in fields(info.value)


def test_body_must_be_an_object():
    with pytest.raises(ValidationFailed):
        validate_report(["project_id"])


def test_oversize_strings_are_truncated_and_flagged():
    r = validate_report({"project_id": "p", "error": {"type": "E", "message": "m" * 100_000},
                         "context": {"log_tail": "a" * limits.MAX_CONTEXT_STRING + "END"}})
    assert len(r.error_message) == limits.MAX_MESSAGE
    assert r.context["log_tail"].endswith("END") and len(r.context["log_tail"]) == limits.MAX_CONTEXT_STRING
    assert set(r.truncated) == {"error.message", "context.log_tail"}


def test_nul_bytes_and_lone_surrogates_are_removed_everywhere():
    r = validate_report({"project_id": "p", "error": {"type": "E\x00rr", "message": "a\x00b\ud800"},
                         "context": {"k\x00": ["v\x00"]}})
    assert r.error_type == "Err"
    assert "\x00" not in r.error_message and r.error_message.startswith("ab")
    assert r.context == {"k": ["v"]}


def test_too_deep_context_is_rejected():
    deep: dict = {}
    node = deep
    for _ in range(limits.MAX_JSON_DEPTH + 5):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ValidationFailed) as info:
        validate_report({"project_id": "p", "error": {"type": "E"}, "context": deep})
    assert "context" in fields(info.value)


def test_stack_trace_list_keeps_innermost_frames():
    frames = [{"n": i} for i in range(limits.MAX_STACK_FRAMES + 10)]
    r = validate_report({"project_id": "p", "error": {"type": "E", "stack_trace": frames}})
    assert r.stack_trace[-1] == {"n": limits.MAX_STACK_FRAMES + 9} and len(r.stack_trace) == limits.MAX_STACK_FRAMES


def test_timestamp_is_normalised_to_utc():
    r = validate_report({"project_id": "p", "error": {"type": "E"}, "timestamp": "2026-11-27T18:00:00+08:00"})
    assert r.reported_at.isoformat() == "2026-11-27T10:00:00"
