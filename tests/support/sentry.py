"""Building Sentry envelopes by hand, the way the protocol page describes them."""

from __future__ import annotations

import json
from typing import Any


def item(kind: str, payload: Any, length: bool = True, **headers: Any) -> tuple[dict, bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = {"type": kind, **headers}
    if length:
        header["length"] = len(body)
    return header, body


def envelope(*items: tuple[dict, bytes], header: dict | None = None) -> bytes:
    out = [json.dumps(header or {}).encode()]
    for item_header, body in items:
        out += [json.dumps(item_header).encode(), body]
    return b"\n".join(out) + b"\n"


def exception_event(type_: str = "ValueError", value: str = "bad", filename: str = "app/x.py", lineno: int = 42,
                    **extra: Any) -> dict:
    frames = [{"filename": "lib/site.py", "lineno": 1, "function": "run", "in_app": False},
              {"filename": filename, "lineno": lineno, "function": "handler", "in_app": True,
               "context_line": "    raise ValueError('bad')", "vars": {"password": "hunter2"}}]
    return {"level": "error", "platform": "python",
            "exception": {"values": [{"type": type_, "value": value, "stacktrace": {"frames": frames}}]}, **extra}
