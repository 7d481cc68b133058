"""The dedup key of a report, per DESIGN.md's fingerprint table."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping


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


def fingerprint(source: str, project_id: str, error_type: str, file_path: str | None = None,
                line_number: int | None = None, context: Mapping[str, Any] | None = None) -> str:
    """sha256 hex of the parts joined with `|`: fixed length, safe to index."""
    joined = "|".join(fingerprint_parts(source, project_id, error_type, file_path, line_number, context))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()
