"""`notify`: deliver what is due, each message at most once per channel.

One run, per channel (a rule's channel type and URL):
1. claim, in one short transaction: the channel's rows that are due (pending and past
   `due_at`, or claimed by a process that died: `sending` past its lease), locked with
   `FOR UPDATE SKIP LOCKED` on PostgreSQL under a per-channel `pg_try_advisory_xact_lock`
   (SQLite: the write lock taken at BEGIN), and the channel's rate limit: at most
   LOGCENTER_NOTIFY_PER_MINUTE attempts in any 60 seconds; when more are due than it
   leaves room for, the rest are folded into one digest message;
2. POST each claimed message (10 s timeout, no redirects followed), outside any transaction;
3. record the answer: sent; or, on a network error, 429, 5xx or a chat's in-band error,
   due again after LOGCENTER_NOTIFY_RETRY_SECONDS doubling per try; failed after MAX_TRIES
   tries or at once on an answer retrying cannot change (4xx, a redirect). After a retryable
   failure the channel's other claimed messages are not tried in this pass (a dead channel
   costs a pass one timeout, not one per message): they are due again with the first retry,
   their tries untouched.

A process that dies between the POST and step 3 leaves its claim to expire after
LOGCENTER_NOTIFY_LEASE_SECONDS; the message is then sent again — the one case where a
channel can see a message twice, and only that message.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

from shared.alerts import channels, message
from shared.alerts.rules import load as load_rule
from shared.db.engine import get_engine, write_options
from shared.http.errors import NotFound
from shared.settings import get_settings
from shared.timeutil import utcnow

log = logging.getLogger("logcenter.alerts")

MAX_TRIES = 8
TIMEOUT_SECONDS = 10
CLAIM_LIMIT = 200
SEND_THREADS = 4
WINDOW = timedelta(seconds=60)

_DUE = "((d.status = 'pending' AND d.due_at <= :now) OR (d.status = 'sending' AND d.claimed_until < :now))"
_DUE_CHANNELS = text(f"SELECT DISTINCT r.channel_key FROM alert_delivery d JOIN alert_rule r ON r.id = d.rule_id "
                     f"WHERE {_DUE}")
_USED = text("SELECT count(*) FROM alert_delivery d JOIN alert_rule r ON r.id = d.rule_id "
             "WHERE r.channel_key = :key AND d.attempted_at > :since")
_CLAIMABLE = (f"SELECT d.id, d.rule_id, d.bug_id, d.kind, d.detail, d.tries FROM alert_delivery d "
              f"JOIN alert_rule r ON r.id = d.rule_id WHERE r.channel_key = :key AND {_DUE} "
              f"ORDER BY CASE WHEN d.kind = 'digest' THEN 0 ELSE 1 END, d.id LIMIT :limit")
_CLAIM = text("UPDATE alert_delivery SET status = 'sending', tries = tries + 1, claimed_until = :lease, "
              "attempted_at = :now WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_EXHAUSTED = text("UPDATE alert_delivery SET status = 'failed', claimed_until = NULL, "
                  "last_error = coalesce(last_error, '') || ' (claim expired after the last try)' "
                  "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_FOLD = text("UPDATE alert_delivery SET status = 'folded', digest_id = :digest, claimed_until = NULL "
             "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_NEW_DIGEST = text("INSERT INTO alert_delivery (rule_id, bug_id, kind, detail, status, tries, created_at, due_at, "
                   "claimed_until, attempted_at) VALUES (:rule_id, NULL, 'digest', :detail, 'sending', 1, :now, "
                   ":now, :lease, :now) RETURNING id")
_BUG = text("SELECT id, project_id, source, level, environment, version, commit_hash, error_type, error_message, "
            "file_path, line_number, status, occurrence_count, is_regression, first_seen_at, last_seen_at, context "
            "FROM errorlog WHERE id = :id").columns(first_seen_at=DateTime, last_seen_at=DateTime)
_BUG_NAMES = text("SELECT id, project_id, error_type FROM errorlog WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))
# Guarded by the claim it records: a claim another run took over after the lease is not overwritten.
_SENT = text("UPDATE alert_delivery SET status = 'sent', sent_at = :now, claimed_until = NULL, last_error = NULL, "
             "response = :answer WHERE id = :id AND status = 'sending' AND tries = :tries")
_RETRY = text("UPDATE alert_delivery SET status = 'pending', due_at = :due, claimed_until = NULL, "
              "last_error = :error, response = :answer WHERE id = :id AND status = 'sending' AND tries = :tries")
# A claimed message not tried in this pass (its channel just failed): due again with the one
# that failed, its claim and its try given back.
_RELEASE = text("UPDATE alert_delivery SET status = 'pending', due_at = :due, claimed_until = NULL, "
                "tries = tries - 1 WHERE id = :id AND status = 'sending' AND tries = :tries")
_FAILED = text("UPDATE alert_delivery SET status = 'failed', claimed_until = NULL, last_error = :error, "
               "response = :answer WHERE id = :id AND status = 'sending' AND tries = :tries")


@dataclass
class Job:
    id: int
    rule_id: int
    bug_id: int | None
    kind: str
    detail: dict[str, Any] | None
    tries: int  # after this claim


def _detail(raw) -> dict[str, Any] | None:  # noqa: ANN001
    if raw is None or isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _lock_key(key: str) -> int:
    return int(key[:15], 16)


def claim_channel(conn: Connection, key: str, now: datetime, per_minute: int, lease: timedelta) -> list[Job]:
    """Claim this channel's due messages within its rate limit (see the module docstring)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres and not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _lock_key(key)}).scalar():
        return []  # another notify is claiming for this channel right now
    budget = per_minute - conn.execute(_USED, {"key": key, "since": now - WINDOW}).scalar()
    if budget <= 0:
        return []
    statement = _CLAIMABLE + (" FOR UPDATE OF d SKIP LOCKED" if postgres else "")
    rows = conn.execute(text(statement), {"key": key, "now": now, "limit": CLAIM_LIMIT}).all()
    exhausted = [r.id for r in rows if r.tries >= MAX_TRIES]
    if exhausted:
        conn.execute(_EXHAUSTED, {"ids": exhausted})
    rows = [r for r in rows if r.tries < MAX_TRIES]
    if not rows:
        return []
    single, folded = (rows, []) if len(rows) <= budget else (rows[:budget - 1], rows[budget - 1:])
    lease_until = now + lease
    jobs = [Job(r.id, r.rule_id, r.bug_id, r.kind, _detail(r.detail), r.tries + 1) for r in single]
    if single:
        conn.execute(_CLAIM, {"ids": [r.id for r in single], "lease": lease_until, "now": now})
    if folded:
        items = [{"id": r.id, "rule_id": r.rule_id, "bug_id": r.bug_id, "kind": r.kind} for r in folded]
        detail = {"items": items}
        digest_id = conn.execute(_NEW_DIGEST, {"rule_id": folded[0].rule_id, "now": now, "lease": lease_until,
                                               "detail": json.dumps(detail, separators=(",", ":"))}).scalar()
        conn.execute(_FOLD, {"ids": [r.id for r in folded], "digest": digest_id})
        jobs.append(Job(digest_id, folded[0].rule_id, None, "digest", detail, 1))
    return jobs


def _post(request: channels.Request, channel_type: str) -> channels.Outcome:
    import requests  # the report function never needs it

    try:
        answer = requests.post(request.url, data=request.body, headers=request.headers, timeout=TIMEOUT_SECONDS,
                               allow_redirects=False, stream=True)
    except requests.Timeout:
        return channels.Outcome(False, True, f"no answer within {TIMEOUT_SECONDS} s", "timeout")
    except requests.RequestException as exc:
        # The exception's text holds the URL, and a robot's URL holds its token: only the kind.
        reason = type(exc).__name__
        root = exc.__context__ or exc.__cause__
        while root is not None and (root.__context__ or root.__cause__) is not None:
            root = root.__context__ or root.__cause__
        if isinstance(root, OSError) and root.strerror:
            reason += f" ({root.strerror})"
        return channels.Outcome(False, True, f"network error: {reason}", "network error")
    with answer:
        body = answer.raw.read(channels.ANSWER_CHARS * 4, decode_content=True) if answer.raw else b""
    return channels.read_answer(channel_type, answer.status_code, body or b"", answer.headers.get("Location"))


def _base(base_url: str | None) -> str | None:
    return get_settings().public_url or base_url


def _message_for(conn: Connection, job: Job, rule: dict, base: str | None) -> message.Message | None:
    rule_ref = {"id": rule["id"], "name": rule["name"]}
    if job.kind == "digest":
        items = list((job.detail or {}).get("items") or [])
        ids = [i["bug_id"] for i in items if i.get("bug_id")]
        names = {r.id: r for r in conn.execute(_BUG_NAMES, {"ids": ids})} if ids else {}
        for item in items:
            bug = names.get(item.get("bug_id"))
            item["project_id"] = bug.project_id if bug else None
            item["error_type"] = bug.error_type if bug else None
        return message.digest(items, base, rule_ref)
    bug = conn.execute(_BUG, {"id": job.bug_id}).first()
    if bug is None:
        return None
    return message.for_bug(job.kind, bug, job.detail, base, get_settings().timezone, rule_ref)


def _release(jobs: list[Job], due: datetime) -> None:
    with get_engine().execution_options(**write_options()).begin() as conn:
        for job in jobs:
            conn.execute(_RELEASE, {"id": job.id, "tries": job.tries, "due": due})


def _send(job: Job, base: str | None, clock: Callable[[], datetime]) -> str:
    """Build, POST and record one claimed message; returns sent, retry or failed."""
    engine = get_engine()
    with engine.connect() as conn:
        try:
            rule = load_rule(job.rule_id, conn)
        except NotFound:
            rule = None
        msg = _message_for(conn, job, rule, base) if rule else None
    if rule is None or msg is None:
        outcome = channels.Outcome(False, False, "the rule was deleted" if rule is None else
                                   "the bug no longer exists (retention)", "-")
    else:
        request = channels.build(rule["channel"]["type"], msg, rule["channel"]["url"], rule["channel"]["secret"])
        outcome = _post(request, rule["channel"]["type"])
    return _record(job, outcome, clock())


def retry_due(tries: int, now: datetime) -> datetime:
    return now + timedelta(seconds=get_settings().notify_retry_seconds * 2 ** (tries - 1))


def _record(job: Job, outcome: channels.Outcome, now: datetime) -> str:
    params = {"id": job.id, "tries": job.tries, "now": now, "error": outcome.error, "answer": outcome.answer}
    with get_engine().execution_options(**write_options()).begin() as conn:
        if outcome.ok:
            conn.execute(_SENT, params)
            return "sent"
        if outcome.retry and job.tries < MAX_TRIES:
            conn.execute(_RETRY, {**params, "due": retry_due(job.tries, now)})
            return "retry"
        conn.execute(_FAILED, params)
        log.warning("alert delivery %s failed after %d tries: %s", job.id, job.tries, outcome.error)
        return "failed"


def run(now: datetime | None = None, base_url: str | None = None) -> dict[str, Any]:
    """One delivery pass; `now` fixes the clock (tests walk through backoffs with it)."""
    settings = get_settings()
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    start = clock()
    lease = timedelta(seconds=settings.notify_lease_seconds)
    engine = get_engine()
    with engine.connect() as conn:
        keys = [r[0] for r in conn.execute(_DUE_CHANNELS, {"now": start})]
    per_channel: dict[str, list[Job]] = defaultdict(list)
    for key in keys:
        with engine.execution_options(**write_options()).begin() as conn:
            per_channel[key] = claim_channel(conn, key, start, settings.notify_per_minute, lease)
    base = _base(base_url)
    outcomes: dict[str, int] = {"sent": 0, "retry": 0, "failed": 0, "released": 0}

    def send_channel(jobs: list[Job]) -> list[str]:
        done = []
        for i, job in enumerate(jobs):
            done.append(_send(job, base, clock))
            if done[-1] == "retry" and jobs[i + 1:]:
                # The channel is down or refusing: one timeout per pass is enough. The rest
                # wait with the failed one, without losing a try.
                _release(jobs[i + 1:], retry_due(1, clock()))
                done += ["released"] * len(jobs[i + 1:])
                break
        return done

    busy = [jobs for jobs in per_channel.values() if jobs]
    if len(busy) == 1:
        results = [send_channel(busy[0])]
    elif busy:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(busy)), thread_name_prefix="notify") as pool:
            results = list(pool.map(send_channel, busy))
    else:
        results = []
    for result in results:
        for status in result:
            outcomes[status] += 1
    return {"channels": len(keys), "claimed": sum(len(j) for j in busy),
            "digests": sum(1 for jobs in busy for j in jobs if j.kind == "digest"), **outcomes}


def send_test(rule_id: int, base_url: str | None) -> dict[str, Any]:
    """POST /api/v1/alerts/{id}/test: one test message now, recorded among the deliveries."""
    rule = load_rule(rule_id)
    base = _base(base_url)
    msg = message.test_message(base, {"id": rule["id"], "name": rule["name"]})
    request = channels.build(rule["channel"]["type"], msg, rule["channel"]["url"], rule["channel"]["secret"])
    outcome = _post(request, rule["channel"]["type"])
    now = utcnow()
    status = "sent" if outcome.ok else "failed"
    with get_engine().execution_options(**write_options()).begin() as conn:
        delivery_id = conn.execute(text(
            "INSERT INTO alert_delivery (rule_id, bug_id, kind, detail, status, tries, created_at, due_at, "
            "attempted_at, sent_at, last_error, response) VALUES (:rule_id, NULL, 'test', NULL, :status, 1, :now, "
            ":now, :now, :sent_at, :error, :answer) RETURNING id"),
            {"rule_id": rule_id, "status": status, "now": now, "sent_at": now if outcome.ok else None,
             "error": outcome.error, "answer": outcome.answer}).scalar()
    return {"delivered": outcome.ok, "status": status, "delivery_id": delivery_id, "answer": outcome.answer,
            "error": outcome.error}
