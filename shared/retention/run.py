"""One retention run: every rule in turn, one small transaction per batch, under a lock.

Each batch commits on its own, so a report waits at most for one batch's locks, never for
the whole run; between batches the run sleeps in proportion to the batch's time
(LOGCENTER_RETENTION_SLEEP_RATIO), so it never takes a whole core or the whole write
bandwidth from ingest. On PostgreSQL a session advisory lock makes a second concurrent run skip;
on SQLite every batch takes the write lock and re-checks its rule, so two runs at once
simply share the work. The run's result is recorded (`retention_run`) for the dashboard.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.db.engine import get_engine, write_options
from shared.retention.rules import BATCH, RULES, Cursor, Limits, Rule
from shared.settings import get_settings
from shared.timeutil import iso, parse_iso, utcnow

log = logging.getLogger("logcenter.retention")
_LOCK_KEY = 4_242_016
# Set for the session that holds the lock, reset with it: the rules' scans over millions of
# occurrences would otherwise be planned with parallel workers, which take every core from
# ingest for a batch at a time (ParallelFinish / MessageQueueReceive waits in the 1M-bug
# benchmark); a background job gets one core per batch and its pause.
_SERIAL_PLANS = "SET max_parallel_workers_per_gather = 0"
_DEFAULT_PLANS = "RESET max_parallel_workers_per_gather"
KEEP_RUNS = 50
# The pause's clock and sleep (tests replace them; the run's own timing stays on time.*).
_batch_clock = time.perf_counter
_sleep = time.sleep


def limits_now() -> Limits:
    settings = get_settings()
    now = utcnow()
    return Limits(now=now, today=datetime.now(timezone.utc).astimezone(settings.timezone).date(),
                  occurrences_per_bug=settings.occurrences_per_bug, retention_days=settings.retention_days,
                  resolved_retention_days=settings.resolved_retention_days)


def settings_in_force(lim: Limits | None = None) -> list[dict[str, str]]:
    lim = lim or limits_now()
    return [{"rule": r.name, "description": r.describe(lim), "setting": r.setting, "value": r.value(lim)}
            for r in RULES]


def run(dry_run: bool = False, trigger: str = "manual",
        between_batches: Callable[[Rule, int], None] | None = None) -> dict[str, Any]:
    """Apply (or, dry, count) every rule. `between_batches` is called after each batch's
    commit (tests use it to make reports arrive mid-run)."""
    lim = limits_now()
    started = time.perf_counter()
    result: dict[str, Any] = {"dry_run": dry_run, "trigger": trigger, "started_at": iso(lim.now),
                              "removed": {}, "batches": 0, "slept_seconds": 0.0, "status": "ok"}
    engine = get_engine()
    with engine.connect() as conn:
        if not _lock(conn):
            result["status"] = "skipped"
            result["reason"] = "another retention run holds the lock"
            return _finish(result, started, record=False)
        try:
            for rule in RULES:
                if dry_run:
                    with conn.begin():
                        result["removed"][rule.name] = int(rule.count(conn, lim))
                    continue
                result["removed"][rule.name] = _apply(conn, rule, lim, result, between_batches)
        except Exception as exc:
            result["status"] = "failed"
            result["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.exception("retention run failed")
            raise
        finally:
            _unlock(conn)
            _finish(result, started, record=not dry_run)
    return result


def _apply(conn: Connection, rule: Rule, lim: Limits, result: dict,
           between_batches: Callable[[Rule, int], None] | None) -> int:
    cursor = Cursor()
    removed = 0
    write = conn.execution_options(**write_options())
    ratio = get_settings().retention_sleep_ratio
    while not cursor.done:
        began = _batch_clock()
        with write.begin():
            n = rule.delete_batch(write, lim, cursor)
        took = _batch_clock() - began
        removed += n
        result["batches"] += 1
        if between_batches is not None:
            between_batches(rule, n)
        if ratio and not cursor.done:
            pause = took * ratio
            _sleep(pause)
            result["slept_seconds"] = round(result["slept_seconds"] + pause, 3)
    return removed


def _lock(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return True
    with conn.begin():
        locked = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}).scalar())
        if locked:
            conn.execute(text(_SERIAL_PLANS))
    return locked


def _unlock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        with conn.begin():
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.execute(text(_DEFAULT_PLANS))


def _finish(result: dict, started: float, record: bool) -> dict:
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["finished_at"] = iso(utcnow())
    result["total_removed"] = sum(result["removed"].values())
    log.info("retention %s: %s", result["status"], result["removed"])
    if record:
        _record(result)
    return result


def _record(result: dict) -> None:
    with get_engine().execution_options(**write_options()).begin() as conn:
        conn.execute(text("INSERT INTO retention_run (started_at, finished_at, status, result) "
                          "VALUES (:s, :f, :status, :r)"),
                     {"s": parse_iso(result["started_at"]), "f": parse_iso(result["finished_at"]),
                      "status": result["status"], "r": json.dumps(result, separators=(",", ":"))})
        conn.execute(text("DELETE FROM retention_run WHERE id NOT IN "
                          "(SELECT id FROM retention_run ORDER BY id DESC LIMIT :keep)"), {"keep": KEEP_RUNS})


def last_runs(limit: int = 5) -> list[dict[str, Any]]:
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT result FROM retention_run ORDER BY id DESC LIMIT :n"), {"n": limit}).all()
    return [json.loads(r.result) for r in rows]


__all__ = ["run", "last_runs", "settings_in_force", "BATCH"]
