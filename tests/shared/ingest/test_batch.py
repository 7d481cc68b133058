"""Batches written at once by two workers (or two replicas) on PostgreSQL: rows shared by
both are taken in one order, so one batch waits for the other instead of deadlocking."""

from __future__ import annotations

import threading

import pg8000.native
import pytest
from sqlalchemy.engine import make_url

from shared.db import driver
from shared.ingest import batch, store
from shared.ingest.validation import validate_report
from shared.settings import get_settings, reset_settings
from shared.timeutil import local_day, utcnow
from tests.functions.conftest import runtime
from tests.support.databases import truncate_all


def _connect(url: str) -> pg8000.native.Connection:
    u = make_url(url)
    return pg8000.native.Connection(u.username or "postgres", host=u.host or "127.0.0.1", port=u.port or 5432,
                                    database=u.database, password=u.password)


def _write(payloads: list[dict]) -> None:
    settings, now = get_settings(), utcnow()
    items = [store.prepare(validate_report(p)) for p in payloads]
    with driver.transaction(write=True) as conn:
        batch.write(conn, items, now=now, day=local_day(now, settings.timezone), keep=settings.occurrences_per_bug)


ROUNDS = 150


def _race(batches_of: "list[callable]") -> list[str]:
    """Run each worker's ROUNDS batches at once; the failures."""
    failures: list[str] = []

    def worker(batch_of) -> None:
        for r in range(ROUNDS):
            try:
                _write(batch_of(r))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                failures.append(str(exc)[:120])

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches_of]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return failures


# Two threads stand for two workers (or replicas) writing at once, one in arrival order and
# one reversed. Unordered, such batches deadlock now and then (9 of 300 failed with 40P01
# when a batch's bugs were written in arrival order); ordered, one waits for the other.

def test_two_workers_counting_the_same_bugs_in_opposite_orders_never_deadlock(pg_url, monkeypatch):
    truncate_all(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    reset_settings()
    bugs = [runtime(project="dl", line=i) for i in range(12)]
    _write(bugs)
    assert _race([lambda r: bugs, lambda r: bugs[::-1]]) == []
    observer = _connect(pg_url)
    assert dict(observer.run("SELECT line_number, occurrence_count FROM errorlog WHERE project_id = 'dl'")) == \
        {i: 1 + 2 * ROUNDS for i in range(12)}
    observer.close()


def test_two_workers_adding_new_bugs_to_the_same_releases_in_opposite_orders_never_deadlock(pg_url, monkeypatch):
    # Batches of one project also share counter rows, which already make them queue; the
    # releases' own lock order is for batches that share releases but no counter row. What
    # this holds to: no failure and exact release counters under that race.
    truncate_all(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    reset_settings()
    versions = [f"v{i}" for i in range(6)]

    def new_bugs(first_line: int, order: list[str]):
        return lambda r: [{**runtime(project="dl", line=first_line + 100 * r + i), "version": v}
                          for i, v in enumerate(order)]

    _write([{**runtime(project="dl", line=i), "version": v} for i, v in enumerate(versions)])  # the releases exist
    assert _race([new_bugs(1_000_000, versions), new_bugs(2_000_000, versions[::-1])]) == []
    observer = _connect(pg_url)
    assert dict(observer.run("SELECT version, new_runtime_bugs FROM release WHERE project_id = 'dl'")) == \
        {v: 1 + 2 * ROUNDS for v in versions}
    observer.close()


def test_context_and_stack_trace_are_stored_as_exactly_the_json_text_prepared(pg_url, monkeypatch):
    # The batch parameter splices these in as JSON values instead of escaped strings
    # (batch.records_json); what lands in the bug and its occurrences must be the same text.
    truncate_all(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    reset_settings()
    frames = [{"file": "app/x.py", "line": 3, "function": "go", "code": 'raise ValueError("bad \\\\ \\"x\\"")'}]
    payload = {**runtime(project="raw", line=7), "context": {
        "quote": 'say "hi" \\ back\\slash', "lines": "a\nb\tc\u2028d", "unicode": "é 漢字 😀", "empty": "",
        "numbers": [1, 2.5, -0.0, 10 ** 20, None, True, False], "nested": {"deeper": {"k": "v"}}}}
    payload["error"]["stack_trace"] = frames
    prepared = store.prepare(validate_report(payload)).params
    _write([payload, payload])  # one coalesced group: one bug, two occurrences
    observer = _connect(pg_url)
    assert observer.run("SELECT context, stack_trace FROM errorlog WHERE project_id = 'raw'") == \
        [[prepared["context"], prepared["stack_trace"]]]
    assert observer.run("SELECT context, stack_trace FROM occurrence") == \
        [[prepared["context"], prepared["stack_trace"]]] * 2
    bare = runtime(project="raw", line=8)  # no stack trace: NULL, not the JSON text 'null'
    _write([bare])
    expected = store.prepare(validate_report(bare)).params
    assert expected["stack_trace"] is None
    assert observer.run("SELECT context, stack_trace FROM errorlog WHERE line_number = 8") == \
        [[expected["context"], None]]
    observer.close()
