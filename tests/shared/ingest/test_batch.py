"""Batches written at once by two workers (or two replicas) on PostgreSQL: rows shared by
both are taken in one order, so one batch waits for the other instead of deadlocking."""

from __future__ import annotations

import threading
import time

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


def _waiting_on_locks(observer: pg8000.native.Connection) -> int:
    return observer.run("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'")[0][0]


@pytest.mark.parametrize("versioned", [False, True], ids=["bugs and counters", "with releases"])
def test_two_batches_sharing_bugs_in_opposite_orders_queue_instead_of_deadlocking(pg_url, monkeypatch, versioned):
    truncate_all(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    reset_settings()
    def bug(line: int, version: str | None = None) -> dict:
        return {**runtime(project="dl", line=line), **({"version": version} if version else {})}

    if versioned:
        # Four new bugs, two in each release: the batches share no bug, only the release rows.
        forward, backward = [bug(3, "v1"), bug(4, "v2")], [bug(5, "v2"), bug(6, "v1")]
        _write([bug(8, "v1"), bug(9, "v2")])
    else:
        forward, backward = [bug(1), bug(2)], [bug(2), bug(1)]
        _write(forward)
    holder, observer = _connect(pg_url), _connect(pg_url)
    holder.run("BEGIN")
    # Hold every row both batches need first, so each batch waits holding nothing yet and
    # both move at the moment the holder lets go.
    holder.run("SELECT 1 FROM errorlog FOR UPDATE" if not versioned else "SELECT 1 FROM release FOR UPDATE")
    failures: dict[str, BaseException] = {}

    def run(name: str, payloads: list[dict]) -> None:
        try:
            _write(payloads)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            failures[name] = exc

    threads = [threading.Thread(target=run, args=("forward", forward)),
               threading.Thread(target=run, args=("backward", backward))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while _waiting_on_locks(observer) < 2:
        assert time.monotonic() < deadline, "the two batches never both waited on the held rows"
        time.sleep(0.01)
    holder.run("COMMIT")
    for t in threads:
        t.join(20)
    assert failures == {}
    counts = dict(observer.run("SELECT line_number, occurrence_count FROM errorlog WHERE project_id = 'dl'"))
    if versioned:
        assert counts == {3: 1, 4: 1, 5: 1, 6: 1, 8: 1, 9: 1}
        assert dict(observer.run("SELECT version, new_runtime_bugs FROM release WHERE project_id = 'dl'")) == \
            {"v1": 3, "v2": 3}
    else:
        assert counts == {1: 3, 2: 3}
    holder.close()
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
