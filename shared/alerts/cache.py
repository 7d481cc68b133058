"""The enabled rules, cached per process so that matching costs a report no query.

Reloaded at most every RULE_CACHE_SECONDS (one small SELECT inside some report's own
transaction), and at once in this process when a rule changes here (the gateway, or a
warm `alerts` instance). Another instance sees a change within RULE_CACHE_SECONDS — a
rule made a few seconds before a bug appears may miss it; a version check per report
would close that gap at the price of a query on every report, which the hot path does
not pay (docs/alerts.md).

Keyed by the engine's connection pool: tests and a re-created engine never see the rules
of another database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.core.vocabulary import LEVELS
from shared.db import sql

if TYPE_CHECKING:  # SQLAlchemy or a driver connection (shared/db/sql.py); never imported on ingest
    from sqlalchemy.engine import Connection

RULE_CACHE_SECONDS = 5.0
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}

_LOAD = ("SELECT id, project_id, sources, min_level, on_new_bug, on_regression, spike_count, spike_minutes, "
             "throttle_minutes FROM alert_rule WHERE enabled = :yes ORDER BY id")


@dataclass(frozen=True)
class CachedRule:
    id: int
    project_id: str | None
    sources: frozenset[str]
    min_rank: int
    new_bug: bool
    regression: bool
    spike_count: int | None
    spike_seconds: int | None
    throttle_seconds: int

    def wants(self, project_id: str, source: str, level: str) -> bool:
        return ((self.project_id is None or self.project_id == project_id) and source in self.sources
                and LEVEL_RANK.get(level, 0) >= self.min_rank)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CachedRule, ...]
    loaded_at: float
    # Nothing counts occurrences: an ordinary repeat report needs no look at any rule.
    has_spike: bool


_cache: dict[object, RuleSet] = {}
_lock = threading.Lock()


def _load(conn: Connection) -> RuleSet:
    rules = tuple(
        CachedRule(id=r.id, project_id=r.project_id, sources=frozenset(s for s in r.sources.split(",") if s),
                   min_rank=LEVEL_RANK.get(r.min_level, 0), new_bug=bool(r.on_new_bug),
                   regression=bool(r.on_regression), spike_count=r.spike_count,
                   spike_seconds=r.spike_minutes * 60 if r.spike_count and r.spike_minutes else None,
                   throttle_seconds=r.throttle_minutes * 60)
        for r in sql.execute(conn, _LOAD, {"yes": True}))
    return RuleSet(rules, time.monotonic(), any(r.spike_count for r in rules))


def rules_for(conn: Connection) -> RuleSet:
    """The enabled rules of the database `conn` belongs to (loaded through `conn` when stale)."""
    key = sql.pool_key(conn)
    current = _cache.get(key)
    if current is not None and time.monotonic() - current.loaded_at < RULE_CACHE_SECONDS:
        return current
    loaded = _load(conn)
    with _lock:
        if len(_cache) > 16:  # engines come and go in tests; a pool key is never reused
            _cache.clear()
        _cache[key] = loaded
    return loaded


def invalidate() -> None:
    """A rule changed in this process: the next report reloads."""
    with _lock:
        _cache.clear()
