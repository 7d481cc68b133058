"""What a fixer needs beyond the bug row: its latest occurrences and the in-app frames.

The bug row holds the latest report's message and trace; the occurrences show whether the
error varies (messages, environments, versions). For SDK events the ingest keeps frames with
`in_app` flags and source lines around the failing line (`pre_context`, `context_line`,
`post_context`): the in-app ones are where a fix usually goes, so they are lifted out.

Added to the bug as two keys (both `show --json` and REPAIR_COMMAND get them):
  recent_occurrences  the newest RECENT_OCCURRENCES occurrences, newest first, as the server has them
  in_app_frames       the in-app frames (innermost last) of the newest report that has any
"""

from __future__ import annotations

from typing import Any, Iterable

from repair_agent.terminal import safe

RECENT_OCCURRENCES = 5
_FRAME_FIELDS = ("file", "line", "column", "function", "module", "pre_context", "context_line", "post_context")


# Source lines and messages come from the reporting app: never let them drive the terminal
# (one escaping rule for every command's output: repair_agent/terminal.py).
_safe = safe


def _first(frame: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = frame.get(key)
        if value not in (None, "", []):
            return value
    return None


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    """One frame under stable names, whichever spelling (ours or Sentry's) it was stored in."""
    out = {
        "file": _first(frame, "file", "filename", "abs_path", "file_path", "module"),
        "line": _first(frame, "line", "lineno", "line_number"),
        "column": _first(frame, "column", "colno"),
        "function": _first(frame, "function", "func"),
        "module": _first(frame, "module"),
        "pre_context": _first(frame, "pre_context"),
        "context_line": _first(frame, "context_line", "code"),
        "post_context": _first(frame, "post_context"),
    }
    return {k: out[k] for k in _FRAME_FIELDS if out[k] is not None}


def in_app_frames(stack_trace: Any) -> list[dict[str, Any]]:
    """The frames marked `in_app: true` of a frame-list trace (text traces have none)."""
    if not isinstance(stack_trace, list):
        return []
    return [_frame(f) for f in stack_trace if isinstance(f, dict) and f.get("in_app") is True]


def newest_in_app_frames(bug: dict[str, Any], occurrences: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    for source in (*occurrences, bug):
        frames = in_app_frames(source.get("stack_trace"))
        if frames:
            return frames
    return []


def enrich(bug: dict[str, Any], occurrences: list[dict[str, Any]]) -> dict[str, Any]:
    """The bug with `recent_occurrences` and `in_app_frames` added (a new dict)."""
    return {**bug, "recent_occurrences": occurrences, "in_app_frames": newest_in_app_frames(bug, occurrences)}


def describe(bug: dict[str, Any], width: int = 200) -> list[str]:
    """Lines for `show`: the recent occurrences, then the in-app frames with their source lines."""
    lines: list[str] = []
    occurrences = bug.get("recent_occurrences") or []
    if occurrences:
        lines.append(f"  latest occurrences (newest first, {len(occurrences)} of {bug.get('occurrence_count', '?')}):")
        for o in occurrences:
            facts = "  ".join(str(v) for v in (o.get("environment"), o.get("version"), o.get("commit_hash")) if v)
            sdk = "  [sdk]" if isinstance((o.get("context") or {}).get("sentry"), dict) else ""
            message = " ".join(str(o.get("message") or "").split())
            if len(message) > width:
                message = message[: width - 1] + "…"
            lines.append(_safe(f"    {o.get('created_at')}{'  ' + facts if facts else ''}{sdk}  {message}".rstrip()))
    frames = bug.get("in_app_frames") or []
    if frames:
        lines.append("  in-app frames (innermost last):")
        for f in frames:
            where = f"{f.get('file', '?')}" + (f":{f['line']}" if f.get("line") is not None else "")
            where += f":{f['column']}" if f.get("line") is not None and f.get("column") is not None else ""
            lines.append(_safe(f"    {where}" + (f" in {f['function']}" if f.get("function") else "")))
            lines.extend(_source(f))
    return lines


def _source(frame: dict[str, Any]) -> list[str]:
    context = frame.get("context_line")
    if context is None:
        return []
    pre = [str(s) for s in frame.get("pre_context") or []]
    post = [str(s) for s in frame.get("post_context") or []]
    line = frame.get("line")
    first = line - len(pre) if isinstance(line, int) else None
    out = []
    for i, text in enumerate([*pre, str(context), *post]):
        number = f"{first + i:>5}" if first is not None else "     "
        mark = ">" if i == len(pre) else " "
        out.append(_safe(f"      {mark}{number} | {text}".rstrip()))
    return out
