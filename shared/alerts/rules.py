"""Alert rules: the shape DESIGN.md gives them, their validation and their storage.

A rule is for one project or all, some sources, a minimum level; it fires on a new bug, a
regression and/or a spike (`count` reports within `minutes`); it speaks to one channel.
The channel's secret is stored and never returned (`"***"` when one is set). URLs are
http(s) without credentials in them (a chat robot's own token lives in its query string,
as each platform issues it); `notify` never follows a redirect.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import DateTime, text

from shared.alerts import cache
from shared.core.text import clean_text
from shared.core.vocabulary import LEVELS, SOURCES
from shared.db.engine import get_engine, write_options
from shared.http.errors import NotFound, ValidationFailed, field_error
from shared.timeutil import iso, utcnow

CHANNEL_TYPES = ["webhook", "feishu", "dingtalk", "wecom", "slack"]
# WeCom group robots and Slack incoming webhooks have no signing secret: their URL is the credential.
SIGNED_CHANNELS = {"webhook", "feishu", "dingtalk"}
MAX_NAME = 100
MAX_URL = 2000
MAX_SECRET = 200
MAX_THROTTLE_MINUTES = 7 * 24 * 60
MAX_SPIKE_COUNT = 1_000_000
MAX_SPIKE_MINUTES = 24 * 60
MAX_RULES = 200
_PROJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FIELDS = {"name", "enabled", "project_id", "sources", "min_level", "triggers", "channel", "throttle_minutes"}
SECRET_MASK = "***"

_COLUMNS = ("name, enabled, project_id, sources, min_level, on_new_bug, on_regression, spike_count, spike_minutes, "
            "channel_type, channel_url, channel_secret, channel_key, throttle_minutes")
_SELECT = f"SELECT id, {_COLUMNS}, created_at, updated_at FROM alert_rule"


def _invalid(field: str, issue: str) -> ValidationFailed:
    return ValidationFailed(f"invalid {field}", [field_error(field, issue)])


def channel_key(channel_type: str, url: str) -> str:
    """One chat robot: the per-channel rate limit counts messages by this."""
    return hashlib.sha256(f"{channel_type}|{url}".encode()).hexdigest()[:32]


def check_url(url: Any, field: str = "channel.url") -> str:
    if not isinstance(url, str) or not url.strip():
        raise _invalid(field, "required: the robot's webhook URL")
    url = url.strip()
    if len(url) > MAX_URL:
        raise _invalid(field, f"at most {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise _invalid(field, "must not contain spaces or control characters")
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except ValueError:
        raise _invalid(field, "not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise _invalid(field, "must be an http:// or https:// URL")
    if not parsed.hostname:
        raise _invalid(field, "must name a host")
    if parsed.username is not None or parsed.password is not None or "@" in parsed.netloc:
        raise _invalid(field, "must not contain credentials (user:password@); use the secret field")
    if port == 0:
        raise _invalid(field, "port 0 is not valid")
    return url


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(field, "must be true or false")
    return value


def _int(value: Any, field: str, minimum: int, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 5.0 is the integer 5
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _invalid(field, f"must be an integer between {minimum} and {maximum}")
    return value


def _triggers(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid("triggers", "must be an object {new_bug, regression, spike}")
    unknown = set(value) - {"new_bug", "regression", "spike"}
    if unknown:
        raise _invalid(f"triggers.{sorted(unknown)[0]}", "unknown trigger")
    out = {"new_bug": _bool(value.get("new_bug", True), "triggers.new_bug"),
           "regression": _bool(value.get("regression", True), "triggers.regression"),
           "spike": None}
    spike = value.get("spike")
    if spike is not None:
        if not isinstance(spike, dict) or set(spike) - {"count", "minutes"}:
            raise _invalid("triggers.spike", "must be null or {count, minutes}")
        out["spike"] = {"count": _int(spike.get("count"), "triggers.spike.count", 1, MAX_SPIKE_COUNT),
                        "minutes": _int(spike.get("minutes"), "triggers.spike.minutes", 1, MAX_SPIKE_MINUTES)}
    if not (out["new_bug"] or out["regression"] or out["spike"]):
        raise _invalid("triggers", "turn on at least one of new_bug, regression, spike")
    return out


def _channel(value: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid("channel", "must be an object {type, url, secret}")
    unknown = set(value) - {"type", "url", "secret"}
    if unknown:
        raise _invalid(f"channel.{sorted(unknown)[0]}", "unknown field")
    kind = value.get("type", previous and previous["type"])
    if kind not in CHANNEL_TYPES:
        raise _invalid("channel.type", f"must be one of {', '.join(CHANNEL_TYPES)}")
    url = check_url(value.get("url", previous and previous["url"]))
    secret = value.get("secret", SECRET_MASK if previous else None)
    if secret == SECRET_MASK:
        # "***" is what GET shows: sent back unchanged it keeps the stored secret.
        secret = previous["secret"] if previous and previous["type"] == kind else None
    elif secret is not None:
        if not isinstance(secret, str) or len(secret) > MAX_SECRET or any(ord(c) < 32 for c in secret):
            raise _invalid("channel.secret", f"a string of at most {MAX_SECRET} characters")
        secret = secret.strip() or None
    if secret and kind not in SIGNED_CHANNELS:
        raise _invalid("channel.secret", f"a {kind} robot has no signing secret: its URL is the credential")
    return {"type": kind, "url": url, "secret": secret}


def validate(body: Any, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A whole rule from a POST body, or `previous` changed by a PATCH body."""
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", [field_error("body", "must be an object")])
    unknown = set(body) - _FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], "unknown field")
    base = previous or {"enabled": True, "project_id": None, "sources": list(SOURCES), "min_level": "ERROR",
                        "triggers": {"new_bug": True, "regression": True, "spike": None}, "throttle_minutes": 60}
    rule: dict[str, Any] = {}
    name = body.get("name", base.get("name"))
    if isinstance(name, str):
        # Storable in both databases; a NUL shows as U+FFFD instead of vanishing, so a name
        # the client did send is never refused as empty.
        name = clean_text(name.replace("\x00", "\ufffd"))
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise _invalid("name", f"required, at most {MAX_NAME} characters")
    rule["name"] = name.strip()
    rule["enabled"] = _bool(body.get("enabled", base["enabled"]), "enabled")
    project = body.get("project_id", base["project_id"])
    if project is not None and (not isinstance(project, str) or not _PROJECT_ID.match(project)):
        raise _invalid("project_id", "null (every project) or a project identifier")
    rule["project_id"] = project
    sources = body.get("sources", base["sources"])
    if not isinstance(sources, list) or not sources or any(s not in SOURCES for s in sources):
        raise _invalid("sources", f"a non-empty list of {', '.join(SOURCES)}")
    rule["sources"] = [s for s in SOURCES if s in sources]
    level = body.get("min_level", base["min_level"])
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise _invalid("min_level", f"one of {', '.join(LEVELS)}")
    rule["min_level"] = level.upper()
    triggers = body.get("triggers", base["triggers"])
    if previous and isinstance(triggers, dict) and "triggers" in body:
        triggers = {**previous["triggers"], **triggers}
    rule["triggers"] = _triggers(triggers)
    if "channel" not in body and previous is None:
        raise _invalid("channel", "required: {type, url, secret}")
    rule["channel"] = _channel(body.get("channel", {}), previous and previous["channel"])
    rule["throttle_minutes"] = _int(body.get("throttle_minutes", base["throttle_minutes"]), "throttle_minutes",
                                    0, MAX_THROTTLE_MINUTES)
    return rule


# ------------------------------------------------------------------- storage


def _params(rule: dict[str, Any]) -> dict[str, Any]:
    ch, tr = rule["channel"], rule["triggers"]
    spike = tr["spike"] or {}
    return {"name": rule["name"], "enabled": rule["enabled"], "project_id": rule["project_id"],
            "sources": ",".join(rule["sources"]), "min_level": rule["min_level"], "on_new_bug": tr["new_bug"],
            "on_regression": tr["regression"], "spike_count": spike.get("count"),
            "spike_minutes": spike.get("minutes"), "channel_type": ch["type"], "channel_url": ch["url"],
            "channel_secret": ch["secret"], "channel_key": channel_key(ch["type"], ch["url"]),
            "throttle_minutes": rule["throttle_minutes"]}


def _typed(sql: str):  # noqa: ANN202
    # SQLite hands back text for timestamps unless told the column's type.
    return text(sql).columns(created_at=DateTime, updated_at=DateTime)


def _from_row(row) -> dict[str, Any]:  # noqa: ANN001
    """The stored rule, secret included (never hand this to a client: see `public`)."""
    spike = {"count": row.spike_count, "minutes": row.spike_minutes} if row.spike_count else None
    return {"id": row.id, "name": row.name, "enabled": bool(row.enabled), "project_id": row.project_id,
            "sources": [s for s in row.sources.split(",") if s], "min_level": row.min_level,
            "triggers": {"new_bug": bool(row.on_new_bug), "regression": bool(row.on_regression), "spike": spike},
            "channel": {"type": row.channel_type, "url": row.channel_url, "secret": row.channel_secret},
            "channel_key": row.channel_key, "throttle_minutes": row.throttle_minutes,
            "created_at": row.created_at, "updated_at": row.updated_at}


def public(rule: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rule.items() if k != "channel_key"}
    out["channel"] = {**rule["channel"], "secret": SECRET_MASK if rule["channel"]["secret"] else None}
    out["created_at"], out["updated_at"] = iso(rule["created_at"]), iso(rule["updated_at"])
    return out


def load(rule_id: int, conn=None) -> dict[str, Any]:  # noqa: ANN001
    def read(c):  # noqa: ANN001, ANN202
        return c.execute(_typed(f"{_SELECT} WHERE id = :id"), {"id": rule_id}).first()

    if conn is not None:
        row = read(conn)
    else:
        with get_engine().connect() as c:
            row = read(c)
    if row is None:
        raise NotFound(f"no alert rule {rule_id}")
    return _from_row(row)


def list_rules() -> dict[str, Any]:
    with get_engine().connect() as conn:
        rows = conn.execute(_typed(f"{_SELECT} ORDER BY id")).all()
    items = [public(_from_row(r)) for r in rows]
    return {"items": items, "total": len(items)}


def create(body: Any) -> dict[str, Any]:
    rule = validate(body)
    now = utcnow()
    with get_engine().execution_options(**write_options()).begin() as conn:
        if conn.execute(text("SELECT count(*) FROM alert_rule")).scalar() >= MAX_RULES:
            raise ValidationFailed(f"at most {MAX_RULES} alert rules", [field_error("body", "too many rules")])
        new_id = conn.execute(text(f"INSERT INTO alert_rule ({_COLUMNS}, created_at, updated_at) VALUES "
                                   f"({', '.join(':' + c.strip() for c in _COLUMNS.split(','))}, :now, :now) "
                                   "RETURNING id"), {**_params(rule), "now": now}).scalar()
        stored = load(new_id, conn)
    cache.invalidate()
    return public(stored)


def update(rule_id: int, body: Any) -> dict[str, Any]:
    with get_engine().execution_options(**write_options()).begin() as conn:
        previous = load(rule_id, conn)
        rule = validate(body, previous)
        sets = ", ".join(f"{c.strip()} = :{c.strip()}" for c in _COLUMNS.split(","))
        conn.execute(text(f"UPDATE alert_rule SET {sets}, updated_at = :now WHERE id = :id"),
                     {**_params(rule), "now": utcnow(), "id": rule_id})
        stored = load(rule_id, conn)
    cache.invalidate()
    return public(stored)


def delete(rule_id: int) -> None:
    with get_engine().execution_options(**write_options()).begin() as conn:
        if conn.execute(text("DELETE FROM alert_rule WHERE id = :id"), {"id": rule_id}).rowcount == 0:
            raise NotFound(f"no alert rule {rule_id}")
        # Messages not yet out have nowhere to go; what was delivered stays in the log.
        conn.execute(text("UPDATE alert_delivery SET status = 'failed', last_error = 'rule deleted', "
                          "claimed_until = NULL WHERE rule_id = :id AND status IN ('pending', 'sending')"),
                     {"id": rule_id})
    cache.invalidate()
