"""The dedup key of a report, per DESIGN.md's fingerprint table.

The parts are encoded as a JSON array headed by the rule's name, then hashed. Joining them
with a separator was ambiguous: a runtime report whose type held `cicd|…` hashed like an
existing CI/CD bug and landed on it. A JSON array cannot be confused with another of
different parts, and the leading rule name keeps the rules apart even where their part
lists have the same length. Databases written with the old encoding are re-keyed once at
start-up (shared/db/migrations.py).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence


def fingerprint_parts(source: str, project_id: str, error_type: str, file_path: str | None,
                      line_number: int | None, context: Mapping[str, Any] | None) -> list[str]:
    ctx = context or {}
    if source == "cicd":
        parts = [project_id, "cicd", error_type, ctx.get("job_name"), ctx.get("step_name")]
    elif source == "deployment":
        parts = [project_id, "deployment", error_type, ctx.get("namespace"), ctx.get("deployment_name")]
    else:
        parts = [project_id, error_type, file_path, line_number]
    return ["" if p is None else str(p) for p in parts]


def encode(rule: str, parts: Sequence[str]) -> str:
    """The unambiguous text that is hashed: `["<rule>", part, part, …]`."""
    return json.dumps([rule, *parts], ensure_ascii=False, separators=(",", ":"))


def digest(rule: str, parts: Sequence[str]) -> str:
    """sha256 hex of the encoded parts: fixed length, safe to index."""
    return hashlib.sha256(encode(rule, parts).encode("utf-8")).hexdigest()


def fingerprint(source: str, project_id: str, error_type: str, file_path: str | None = None,
                line_number: int | None = None, context: Mapping[str, Any] | None = None) -> str:
    rule = source if source in ("cicd", "deployment") else "runtime"
    return digest(rule, fingerprint_parts(source, project_id, error_type, file_path, line_number, context))


DEFAULT_PART = "{{ default }}"


def custom_fingerprint(source: str, project_id: str, parts: Sequence[str], default_parts: Sequence[str]) -> str:
    """A client's own grouping (Sentry's event `fingerprint`): `project_id|custom|<parts>` with
    each `{{ default }}` replaced by the source's own parts. Exactly `["{{ default }}"]` is
    the source's rule itself, so SDK events and native reports of one error stay one bug."""
    if list(parts) == [DEFAULT_PART]:
        rule = source if source in ("cicd", "deployment") else "runtime"
        return digest(rule, default_parts)
    expanded: list[str] = []
    for part in parts:
        expanded.extend(default_parts if part == DEFAULT_PART else [part])
    return digest("custom", [project_id, "custom", *expanded])

