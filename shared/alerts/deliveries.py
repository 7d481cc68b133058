"""GET /api/v1/alerts/deliveries: the recent messages, what became of each and why.

A message folded into a digest shows the digest's status (it went out, or not, with it)
and the digest's id; the stored status vocabulary stays internal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, text

from shared.db.engine import get_engine
from shared.timeutil import iso

STATUSES = ["pending", "sent", "failed"]
_STATUS = ("CASE WHEN d.status = 'folded' THEN (CASE WHEN g.status = 'sending' THEN 'pending' ELSE g.status END) "
           "WHEN d.status = 'sending' THEN 'pending' ELSE d.status END")


def list_deliveries(rule_id: int | None, status: str | None, limit: int) -> dict[str, Any]:
    where, params = ["1=1"], {"limit": limit}
    if rule_id is not None:
        where.append("d.rule_id = :rule_id")
        params["rule_id"] = rule_id
    if status is not None:
        where.append(f"{_STATUS} = :status")
        params["status"] = status
    sql = (f"SELECT d.id, d.rule_id, r.name AS rule_name, r.channel_type, d.bug_id, d.kind, {_STATUS} AS shown, "
           "d.tries, coalesce(d.last_error, g.last_error) AS last_error, coalesce(d.response, g.response) AS response, "
           "d.created_at, d.attempted_at, coalesce(d.sent_at, g.sent_at) AS sent_at, d.due_at, d.status AS raw, "
           "d.digest_id, b.project_id, b.error_type "
           "FROM alert_delivery d LEFT JOIN alert_delivery g ON g.id = d.digest_id "
           "LEFT JOIN alert_rule r ON r.id = d.rule_id LEFT JOIN errorlog b ON b.id = d.bug_id "
           f"WHERE {' AND '.join(where)} ORDER BY d.id DESC LIMIT :limit")
    with get_engine().connect() as conn:
        rows = conn.execute(text(sql).columns(created_at=DateTime, attempted_at=DateTime, sent_at=DateTime,
                                              due_at=DateTime), params).all()
    items = [{"id": r.id, "rule_id": r.rule_id, "rule_name": r.rule_name, "channel_type": r.channel_type,
              "bug_id": r.bug_id, "project_id": r.project_id, "error_type": r.error_type, "event": r.kind,
              "status": r.shown, "tries": r.tries, "last_error": r.last_error, "response": r.response,
              "created_at": iso(r.created_at), "attempted_at": iso(r.attempted_at), "sent_at": iso(r.sent_at),
              "next_attempt_at": iso(r.due_at) if r.raw == "pending" else None, "digest_id": r.digest_id}
             for r in rows]
    return {"items": items, "total": len(items)}
