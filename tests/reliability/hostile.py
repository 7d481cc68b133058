"""The hostile-input corpus: malicious or broken requests, and what each must come to.

Each entry is a request (method, path, raw body bytes, headers) and an expectation: a 4xx
status, or "stored" with a check of what the API then returns for the bug (the literal,
cleaned or truncated exactly as documented). tests/reliability/test_hostile_input.py runs it
on SQLite and PostgreSQL; docs/reliability.md has its table.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, Callable

from shared.core import limits

JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


@dataclass
class Hostile:
    name: str
    body: bytes
    expect: int | str                      # an exact 4xx status, or "stored"
    check: Callable[[dict, dict], Any] | None = None  # (bug as the API returns it, report answer) -> assert
    headers: dict | None = None
    method: str = "POST"
    path: str = "/api/v1/logs/report"
    function: str = "report"


def _j(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _report(**error) -> dict:
    return {"project_id": "hostile", "error": {"type": "HostileError", **error}}


def _eq(field: str, value: Any) -> Callable[[dict, dict], None]:
    def check(bug: dict, _answer: dict) -> None:
        assert bug[field] == value, (field, str(bug[field])[:200], str(value)[:200])
    return check


def _fields(**expected: Any) -> Callable[[dict, dict], None]:
    def check(bug: dict, answer: dict) -> None:
        for field, value in expected.items():
            if field == "truncated":
                assert value in answer.get("truncated", []), answer
            else:
                assert bug[field] == value, (field, str(bug[field])[:200], str(value)[:200])
    return check


def _ctx(value: dict) -> Callable[[dict, dict], None]:
    def check(bug: dict, _answer: dict) -> None:
        assert bug["context"] == value
    return check


def _truncated(field: str, api_field: str, keep: int, tail: bool = False) -> Callable[[dict, dict], None]:
    def check(bug: dict, answer: dict) -> None:
        assert field in answer.get("truncated", []), answer
        assert len(bug[api_field]) == keep
    return check


SQL = "'; DROP TABLE errorlog; --"
SQL2 = "1' OR '1'='1' /* UNION SELECT * FROM errorlog_status_history */"
HTML = '<script>alert(document.cookie)</script><img src=x onerror="alert(1)">'
ANSI = "\x1b[31mred\x1b[0m\r\n\t\x07\x08"
UNICODE = "\u202eevil\u200b\ufeff 💥 ﷽ \U0010ffff"


def corpus() -> list[Hostile]:
    nested = 100_000
    bomb = gzip.compress(b"[" + b"0," * (50 * MIB) + b"0]", compresslevel=9)
    return [
        # --- not JSON, or not the JSON we take
        Hostile("deeply nested arrays (100,000 levels)", b"[" * nested + b"]" * nested, 400),
        Hostile("deeply nested objects in context (25 levels)",
                _j({**_report(), "context": json.loads('{"a":' * 25 + "1" + "}" * 25)}), 422),
        Hostile("deeply nested stack_trace frames", _j(_report(stack_trace=json.loads("[" * 30 + "]" * 30))), 422),
        Hostile("invalid UTF-8 bytes", b'{"project_id": "p", "error": {"type": "\xff\xfe\xc3\x28"}}', 400),
        Hostile("UTF-16 body", json.dumps(_report()).encode("utf-16"), 400),
        Hostile("truncated JSON", b'{"project_id": "p", "error": {"type": "E"', 400),
        Hostile("NaN and Infinity literals", b'{"project_id": "p", "error": {"type": "E", "line_number": NaN}, "x": Infinity}', 400),
        Hostile("empty body", b"", 400),
        Hostile("4,301-digit integer (Python's int limit)", b'{"project_id": "p", "error": {"type": "E"}, "n": ' + b"9" * 4301 + b"}", 400),
        Hostile("text/plain content type", _j(_report()), 415, headers={"Content-Type": "text/plain"}),
        Hostile("no content type", _j(_report()), 415, headers={}),
        # --- size
        Hostile("body over 1 MiB", _j({**_report(), "context": {"x": "y" * MIB}}), 413),
        Hostile("gzip bomb: 100 MB of JSON in ~100 kB, Content-Encoding: gzip", bomb, 413,
                headers={**JSON, "Content-Encoding": "gzip"}),
        Hostile("corrupt gzip", b"\x1f\x8b\x08\x00garbage", 400, headers={**JSON, "Content-Encoding": "gzip"}),
        Hostile("Content-Encoding: br (unsupported)", _j(_report()), 415, headers={**JSON, "Content-Encoding": "br"}),
        Hostile("huge array in context (100,000 items), under 1 MiB",
                _j({**_report(), "context": {"items": list(range(100_000))}}), "stored",
                _ctx({"items": list(range(100_000))})),
        Hostile("20,000 keys in context", _j({**_report(), "context": {f"k{i}": i for i in range(20_000)}}),
                "stored", _ctx({f"k{i}": i for i in range(20_000)})),
        Hostile("10,000 stack frames (the last 200 kept)",
                _j(_report(stack_trace=[{"f": i} for i in range(10_000)])), "stored",
                _fields(stack_trace=[{"f": i} for i in range(9_800, 10_000)], truncated="error.stack_trace")),
        # --- overlong strings: truncated, not refused
        Hostile("error.type of 100,000 characters", _j(_report(type="T" * 100_000)), "stored",
                _truncated("error.type", "error_type", limits.MAX_ERROR_TYPE)),
        Hostile("error.message of 500,000 characters", _j(_report(message="m" * 500_000)), "stored",
                _truncated("error.message", "error_message", limits.MAX_MESSAGE)),
        Hostile("environment of 10,000 characters", _j({**_report(), "environment": "e" * 10_000}), "stored",
                _truncated("environment", "environment", limits.MAX_SHORT_FIELD)),
        Hostile("project_id of 65 characters", _j({**_report(), "project_id": "p" * 65}), 422),
        # --- NUL bytes and broken Unicode: removed or replaced, documented
        Hostile("NUL bytes in message and context", _j({**_report(message="a\x00b\x00c"), "context": {"k\x00": "v\x00w"}}),
                "stored", _fields(error_message="abc", context={"k": "vw"})),
        Hostile("NUL byte in project_id", _j({**_report(), "project_id": "ab\x00c"}), 422),
        Hostile("lone surrogate \\ud800 in message", b'{"project_id": "hostile", "error": {"type": "E", "message": "x\\ud800y"}}',
                "stored", _eq("error_message", "x?y")),
        Hostile("RTL override, zero-width, BOM, emoji, U+10FFFF in type", _j(_report(type=UNICODE)), "stored",
                _eq("error_type", UNICODE)),
        Hostile("ANSI escapes and control characters in message", _j(_report(message=ANSI)), "stored",
                _eq("error_message", ANSI)),
        # --- injection strings are stored as the literals they are
        Hostile("SQL injection in error.type", _j(_report(type=SQL)), "stored", _eq("error_type", SQL)),
        Hostile("SQL injection in message and file_path", _j(_report(message=SQL2, file_path=SQL2)), "stored",
                _fields(error_message=SQL2, file_path=SQL2)),
        Hostile("SQL injection as a context key", _j({**_report(), "context": {SQL: SQL2}}), "stored", _ctx({SQL: SQL2})),
        Hostile("SQL injection in project_id", _j({**_report(), "project_id": SQL}), 422),
        Hostile("HTML/script injection in message and type", _j(_report(type=HTML[:200], message=HTML)), "stored",
                _fields(error_message=HTML, error_type=HTML[:200])),
        # --- wrong types everywhere
        Hostile("body is a JSON array", _j([_report()]), 422),
        Hostile("body is a JSON string", _j("report"), 422),
        Hostile("body is null", b"null", 422),
        Hostile("project_id a number", _j({**_report(), "project_id": 42}), 422),
        Hostile("error a string", _j({"project_id": "p", "error": "boom"}), 422),
        Hostile("error.type an object", _j({"project_id": "p", "error": {"type": {"$ne": None}}}), 422),
        Hostile("line_number a string", _j(_report(line_number="42; DROP TABLE errorlog")), 422),
        Hostile("line_number 1e400 (infinite float)", b'{"project_id": "p", "error": {"type": "E", "line_number": 1e400}}', 422),
        Hostile("line_number 2**31", _j(_report(line_number=2**31)), 422),
        Hostile("line_number a boolean", _j(_report(line_number=True)), 422),
        Hostile("level an array", _j({**_report(), "level": ["ERROR"]}), 422),
        Hostile("source unknown", _j({**_report(), "source": "kernel"}), 422),
        Hostile("context a list", _j({**_report(), "context": [1, 2]}), 422),
        Hostile("timestamp a number", _j({**_report(), "timestamp": 1732780800}), 422),
        Hostile("timestamp not a date", _j({**_report(), "timestamp": "2026-13-45T99:99:99Z"}), 422),
        Hostile("stack_trace a number", _j(_report(stack_trace=12)), 422),
        Hostile("every field the wrong type",
                _j({"project_id": [], "source": 1, "level": {}, "environment": 2, "version": [], "commit_hash": True,
                    "timestamp": [], "error": {"type": 1, "message": [], "file_path": {}, "line_number": "x",
                                               "stack_trace": 1.5}, "context": "x"}), 422),
        # --- the other routes
        Hostile("bugs: SQL injection in q", b"", "listed", method="GET", function="bugs",
                path="/api/v1/bugs?q=%27%20OR%201%3D1--&project_id=x%27%20OR%20%271%27%3D%271"),
        Hostile("bugs: NUL byte in project_id filter", b"", "listed", method="GET", function="bugs",
                path="/api/v1/bugs?project_id=%00"),
        Hostile("bugs: sort injection", b"", 422, method="GET", function="bugs", path="/api/v1/bugs?sort=id;DROP%20TABLE%20errorlog"),
        Hostile("bugs: page_size 10^9", b"", 422, method="GET", function="bugs", path="/api/v1/bugs?page_size=1000000000"),
        Hostile("bugs: id past 32 bits", b"", 404, method="GET", function="bugs", path="/api/v1/bugs/99999999999"),
        Hostile("bugs: id with SQL", b"", 404, method="GET", function="bugs", path="/api/v1/bugs/1%20OR%201=1"),
        Hostile("PATCH status: SQL in status", _j({"status": "NEW'; DROP TABLE errorlog;--"}), 422, method="PATCH",
                function="bugs", path="/api/v1/bugs/1/status"),
        Hostile("PATCH status: status a list", _j({"status": ["FIXED"]}), 422, method="PATCH", function="bugs",
                path="/api/v1/bugs/1/status"),
        Hostile("tasks: claim with a non-object body", _j([1, 2]), 422, function="tasks", path="/api/v1/tasks/1/claim"),
        Hostile("stats: source injection", b"", 422, method="GET", function="stats",
                path="/api/v1/dashboard/stats?source=runtime%27%20OR%201=1"),
    ]
