"""What an alert says (DESIGN.md "Alerts" → Text): the same facts for every channel.

Built when the message is sent, from the bug as it stands then (its count, its last
seen), so a message delivered after retries is not stale. Chinese labels; times in
LOGCENTER_TIMEZONE; the link is `{LOGCENTER_PUBLIC_URL}/bugs/{id}` (when the setting is
unset, the base the caller passes: the gateway's own address or the request's host).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from shared.timeutil import iso

TITLES = {"new_bug": "【新缺陷】", "regression": "【回归】", "spike": "【激增】", "digest": "【汇总】", "test": "【测试】"}
SOURCE_NAMES = {"runtime": "运行时", "cicd": "CI/CD", "deployment": "部署"}
MESSAGE_CHARS = 200
DIGEST_ITEMS = 10
# Context keys a chat message or the webhook's bug object carries (never log tails).
_CONTEXT_KEYS = ("workflow_name", "job_name", "step_name", "run_id", "run_number", "run_url", "repository", "ref",
                 "commit_sha", "namespace", "pod_name", "container_name", "deployment_name", "restart_count",
                 "reason", "exit_code")


@dataclass
class Message:
    event: str
    title: str
    lines: list[tuple[str, str]]
    url: str | None
    link_label: str = "查看缺陷"
    extra_links: list[tuple[str, str]] = field(default_factory=list)
    bug: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    rule: dict[str, Any] = field(default_factory=dict)

    def plain(self) -> str:
        """The text form (Slack's `text`, the digest's lines)."""
        parts = [self.title] + [f"{k}：{v}" for k, v in self.lines]
        parts += [f"{label}：{href}" for label, href in self.extra_links]
        if self.url:
            parts.append(f"{self.link_label}：{self.url}")
        return "\n".join(parts)


def _local(dt: datetime | None, tz) -> str:  # noqa: ANN001
    if dt is None:
        return "-"
    return dt.replace(tzinfo=timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def bug_link(base: str | None, bug_id: int) -> str:
    return f"{(base or '').rstrip('/')}/bugs/{bug_id}"


def _context(bug) -> dict[str, Any]:  # noqa: ANN001
    raw = bug.context
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    return raw if isinstance(raw, dict) else {}


def bug_facts(bug) -> dict[str, Any]:  # noqa: ANN001
    """The webhook's `bug` object: the bug without its stack trace and log tails."""
    ctx = _context(bug)
    return {"id": bug.id, "project_id": bug.project_id, "source": bug.source, "level": bug.level,
            "environment": bug.environment, "version": bug.version, "commit_hash": bug.commit_hash,
            "error_type": bug.error_type, "error_message": (bug.error_message or "")[:1000],
            "file_path": bug.file_path, "line_number": bug.line_number, "status": bug.status,
            "occurrence_count": bug.occurrence_count, "is_regression": bool(bug.is_regression),
            "first_seen_at": iso(bug.first_seen_at), "last_seen_at": iso(bug.last_seen_at),
            "context": {k: ctx[k] for k in _CONTEXT_KEYS if k in ctx}}


def for_bug(kind: str, bug, detail: dict[str, Any] | None, base: str | None, tz, rule: dict) -> Message:  # noqa: ANN001
    ctx = _context(bug)
    message = (bug.error_message or "").strip().replace("\r", "")
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + "…"
    title = f"{TITLES.get(kind, '')}{bug.project_id} · {bug.error_type}"
    lines = [("项目", bug.project_id), ("来源", SOURCE_NAMES.get(bug.source, bug.source)),
             ("类型", bug.error_type), ("级别", bug.level)]
    if message:
        lines.append(("消息", message))
    if kind == "spike" and detail:
        lines.append(("激增", f"{detail.get('minutes')} 分钟内约 {detail.get('estimate', detail.get('count'))} 次"
                               f"（阈值 {detail.get('count')}）"))
    lines.append(("次数", str(bug.occurrence_count)))
    lines.append(("首次出现", _local(bug.first_seen_at, tz)))
    lines.append(("最近出现", _local(bug.last_seen_at, tz)))
    if bug.environment or bug.version:
        lines.append(("环境/版本", f"{bug.environment or '-'} / {bug.version or '-'}"))
    extra: list[tuple[str, str]] = []
    if bug.source == "cicd":
        job = " / ".join(str(ctx[k]) for k in ("workflow_name", "job_name", "step_name") if ctx.get(k))
        if job:
            lines.append(("流水线", job))
        if isinstance(ctx.get("run_url"), str) and ctx["run_url"].startswith(("http://", "https://")):
            extra.append(("CI 运行", ctx["run_url"]))
    if bug.source == "deployment":
        workload = f"{ctx.get('namespace') or '-'} / {ctx.get('deployment_name') or ctx.get('pod_name') or '-'}"
        lines.append(("命名空间/工作负载", workload))
        if ctx.get("reason"):
            lines.append(("原因", str(ctx["reason"])))
    return Message(event=kind, title=title, lines=lines, url=bug_link(base, bug.id), extra_links=extra,
                   bug=bug_facts(bug), rule=rule)


def digest(items: list[dict[str, Any]], base: str | None, rule: dict) -> Message:
    """One message for what the channel's rate limit held back: 另有 N 个缺陷…"""
    n = len(items)
    lines = []
    for item in items[:DIGEST_ITEMS]:
        head = TITLES.get(item["kind"], "")
        label = f"{head}{item.get('project_id') or '-'} · {item.get('error_type') or '-'}"
        lines.append((label, bug_link(base, item["bug_id"]) if item.get("bug_id") else "-"))
    if n > DIGEST_ITEMS:
        lines.append(("…", f"以及另外 {n - DIGEST_ITEMS} 条"))
    title = f"【汇总】另有 {n} 个缺陷告警（发送频率已达上限，合并为一条）"
    return Message(event="digest", title=title, lines=lines, url=f"{(base or '').rstrip('/')}/bugs",
                   link_label="查看全部缺陷", items=items, rule=rule)


def test_message(base: str | None, rule: dict) -> Message:
    lines = [("规则", rule.get("name") or "-"), ("说明", "这是一条测试消息：缺陷告警渠道已接通。")]
    return Message(event="test", title="【测试】Log Center 缺陷告警测试", lines=lines,
                   url=f"{(base or '').rstrip('/')}/alerts", link_label="告警设置", rule=rule)
