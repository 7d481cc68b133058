"""Each chat's request format and signature, and how its answer is read.

- webhook: JSON {event, bug, url, rule, text}; with a secret, header
  `X-Log-Center-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
- feishu (Lark) custom bot: an interactive card; with a secret, `timestamp` (seconds) and
  `sign` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")) in the body.
- dingtalk custom robot: markdown {title, text}; with a secret, `&timestamp=<ms>&sign=<url-
  encoded base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}"))>` on the URL.
- wecom group robot: markdown {content} (at most 4096 bytes).
- slack incoming webhook: {text, blocks} (mrkdwn; `text` is the notification fallback).

Answers: 2xx is delivered unless, from Feishu, DingTalk or WeCom, the body is JSON whose
`errcode` or `code` (Feishu also `StatusCode`) is not 0 — the chat APIs' own errors (bad signature, rate limited) come back
as 200. Those, 429, 5xx and network errors are retried; any other status (4xx, and a 3xx
since redirects are not followed) fails at once: retrying cannot fix a wrong URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from shared.alerts.message import Message

WECOM_MAX_BYTES = 4096
SLACK_SECTION_CHARS = 3000
ANSWER_CHARS = 500


@dataclass
class Request:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    ok: bool
    retry: bool
    error: str | None
    answer: str  # what the channel said (status and the start of its body)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def feishu_sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _md_escape(value: str) -> str:
    return value.replace("\n", " ").strip()


def _markdown(msg: Message, bold: str = "**") -> str:
    lines = [f"{bold}{k}{bold}：{_md_escape(v)}" for k, v in msg.lines]
    lines += [f"[{label}]({href})" for label, href in msg.extra_links]
    if msg.url:
        lines.append(f"[{msg.link_label}]({msg.url})")
    return "\n\n".join(lines)


def _slack_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _webhook(msg: Message, url: str, secret: str | None) -> Request:
    payload = {"event": msg.event, "bug": msg.bug, "url": msg.url,
               "rule": {"id": msg.rule.get("id"), "name": msg.rule.get("name")}, "text": msg.plain()}
    if msg.items:
        payload["items"] = msg.items
    body = _json(payload)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if secret:
        headers["X-Log-Center-Signature"] = webhook_signature(secret, body)
    return Request(url, headers, body)


def _feishu(msg: Message, url: str, secret: str | None) -> Request:
    elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": _markdown(msg)}}]
    if msg.url:
        elements.append({"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": msg.link_label}, "type": "primary",
             "url": msg.url}]})
    template = {"new_bug": "red", "regression": "orange", "spike": "red", "digest": "blue"}.get(msg.event, "green")
    payload: dict[str, Any] = {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": msg.title}, "template": template},
        "elements": elements}}
    if secret:
        timestamp = int(time.time())
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(timestamp, secret), **payload}
    return Request(url, {"Content-Type": "application/json; charset=utf-8"}, _json(payload))


def _dingtalk(msg: Message, url: str, secret: str | None) -> Request:
    payload = {"msgtype": "markdown", "markdown": {"title": msg.title, "text": f"### {msg.title}\n\n{_markdown(msg)}"}}
    if secret:
        timestamp = int(time.time() * 1000)
        url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={dingtalk_sign(timestamp, secret)}"
    return Request(url, {"Content-Type": "application/json; charset=utf-8"}, _json(payload))


def _wecom(msg: Message, url: str, secret: str | None) -> Request:
    content = f"### {msg.title}\n{_markdown(msg, bold='**')}".replace("\n\n", "\n")
    encoded = content.encode("utf-8")
    if len(encoded) > WECOM_MAX_BYTES:
        content = encoded[:WECOM_MAX_BYTES - 3].decode("utf-8", "ignore") + "…"
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    return Request(url, {"Content-Type": "application/json; charset=utf-8"}, _json(payload))


def _slack(msg: Message, url: str, secret: str | None) -> Request:
    fields = "\n".join(f"*{_slack_escape(k)}*：{_slack_escape(_md_escape(v))}" for k, v in msg.lines)
    links = [f"<{href}|{_slack_escape(label)}>" for label, href in msg.extra_links]
    if msg.url:
        links.append(f"<{msg.url}|{_slack_escape(msg.link_label)}>")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": msg.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": fields[:SLACK_SECTION_CHARS] or "-"}}]
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    payload = {"text": _slack_escape(msg.plain())[:SLACK_SECTION_CHARS], "blocks": blocks}
    return Request(url, {"Content-Type": "application/json; charset=utf-8"}, _json(payload))


FORMATS = {"webhook": _webhook, "feishu": _feishu, "dingtalk": _dingtalk, "wecom": _wecom, "slack": _slack}


def build(channel_type: str, msg: Message, url: str, secret: str | None) -> Request:
    return FORMATS[channel_type](msg, url, secret)


IN_BAND_ERRORS = {"feishu", "dingtalk", "wecom"}


def read_answer(channel_type: str, status: int, body: bytes, location: str | None = None) -> Outcome:
    text = body[:ANSWER_CHARS].decode("utf-8", "replace")
    answer = f"HTTP {status}" + (f": {text}" if text else "")
    if 300 <= status < 400:
        return Outcome(False, False, f"HTTP {status} redirect to {location or '?'} (redirects are not followed)",
                       answer)
    if status == 429 or status >= 500:
        return Outcome(False, True, answer, answer)
    if not 200 <= status < 300:
        return Outcome(False, False, answer, answer)
    if channel_type not in IN_BAND_ERRORS:
        return Outcome(True, False, None, answer)
    try:
        parsed = json.loads(body) if body.strip()[:1] == b"{" else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("errcode", "code", "StatusCode"):
            value = parsed.get(key)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, (int, float)) and value != 0 or isinstance(value, str) and value.strip() != "0":
                reason = parsed.get("errmsg") or parsed.get("msg") or parsed.get("StatusMessage") or ""
                return Outcome(False, True, f"{key} {value}: {reason}"[:ANSWER_CHARS], answer)
    return Outcome(True, False, None, answer)
