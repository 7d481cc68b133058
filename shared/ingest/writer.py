"""Group commit: concurrent reports of one instance share one transaction.

Each request thread hands its validated report to the writer and waits. One thread at a
time is the leader: it takes what has queued (at most MAX_BATCH reports, MAX_BATCH_BYTES of
JSON), writes it in one transaction (shared/ingest/batch.py), commits once, and wakes every
thread of the batch with its own outcome — only after the commit, so a 2xx still means
stored and counted. Then it hands leadership to the first thread still waiting and returns.

Nobody waits on purpose: a lone report is written at once, and reports queue only while
the batch before them commits, so batches grow exactly as fast as the database falls
behind. One batch at a time per instance also means a storm of one crash queues here in
memory instead of on one row's lock in the database.

If a batch fails because the database is unavailable, every report of it gets the same
503 and none is stored (the transaction rolled back). Any other failure may be one bad
report's: the batch is then written again report by report, so it fails alone.
"""

from __future__ import annotations

import threading

from shared.db import driver
from shared.http.outage import is_unavailable
from shared.ingest import batch
from shared.settings import get_settings
from shared.timeutil import local_day, utcnow

MAX_BATCH = 64
MAX_BATCH_BYTES = 8 * 1024 * 1024


class _Waiter:
    __slots__ = ("error", "event", "item", "lead", "outcome")

    def __init__(self, item: batch.Item):
        self.item = item
        self.event = threading.Event()
        self.lead = False
        self.outcome: batch.Outcome | None = None
        self.error: BaseException | None = None


class Writer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._busy = False
        # Batches committed and reports in them (the benchmark prints the mean batch size).
        self.batches = 0
        self.reports = 0
        self.largest = 0

    def write(self, item: batch.Item) -> batch.Outcome:
        waiter = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            leader = not self._busy
            self._busy = True
        if not leader:
            waiter.event.wait()
        if leader or waiter.lead:
            self._lead()
        if waiter.error is not None:
            raise waiter.error
        assert waiter.outcome is not None
        return waiter.outcome

    def _lead(self) -> None:
        with self._lock:
            taken = self._take()
        try:
            self._run(taken)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.event.set()
                else:
                    self._busy = False
            for waiter in taken:
                waiter.event.set()

    def _take(self) -> list[_Waiter]:
        """The front of the queue, within the caps; a second report of one deployment
        fingerprint or one event id waits for the next batch (see batch.py)."""
        taken, rest, size = [], [], 0
        fingerprints, events = set(), set()
        for waiter in self._queue:
            params = waiter.item.params
            event = (params["project_id"], params["event_id"]) if params["event_id"] else None
            later = (len(taken) >= MAX_BATCH or (taken and size + waiter.item.size > MAX_BATCH_BYTES)
                     or (params["source"] == "deployment" and params["fingerprint"] in fingerprints)
                     or (event is not None and event in events))
            if later:
                rest.append(waiter)
                continue
            taken.append(waiter)
            size += waiter.item.size
            fingerprints.add(params["fingerprint"])
            if event:
                events.add(event)
        self._queue = rest
        return taken

    def _run(self, taken: list[_Waiter]) -> None:
        try:
            self._commit(taken)
        except Exception as exc:  # noqa: BLE001 - handed to each request thread
            if len(taken) == 1 or is_unavailable(exc):
                for waiter in taken:
                    waiter.error = exc
                return
            for waiter in taken:  # find the report that failed; the others go through
                try:
                    self._commit([waiter])
                except Exception as own:  # noqa: BLE001
                    waiter.error = own

    def _commit(self, taken: list[_Waiter]) -> None:
        settings = get_settings()
        now = utcnow()
        with driver.transaction(write=True) as conn:
            outcomes = batch.write(conn, [w.item for w in taken], now=now,
                                   day=local_day(now, settings.timezone), keep=settings.occurrences_per_bug)
        for waiter, outcome in zip(taken, outcomes):
            waiter.outcome = outcome
        self.batches += 1
        self.reports += len(taken)
        self.largest = max(self.largest, len(taken))


_writer = Writer()


def write(item: batch.Item) -> batch.Outcome:
    return _writer.write(item)


def _reset() -> None:
    global _writer
    _writer = Writer()


driver.on_close_all(_reset)


def current() -> Writer:
    """This instance's writer (tests and the benchmark read its batch counts)."""
    return _writer

