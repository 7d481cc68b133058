"""The local gateway's notify: one background thread, poked after a report that produced an
alert and sweeping every LOGCENTER_NOTIFY_SWEEP_SECONDS (a retry coming due, a claim left
by a process that died). It runs the same pass as the `notify` function; a slow or hung
channel delays only this thread, never a report.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.alerts import deliver, poke

log = logging.getLogger("logcenter.alerts")


class NotifyWorker:
    def __init__(self, sweep_seconds: float, base_url: str | None):
        self.sweep_seconds = sweep_seconds
        self.base_url = base_url
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="logcenter-notify", daemon=True)

    def start(self) -> "NotifyWorker":
        poke.set_local(self._wake.set)
        self._thread.start()
        return self

    def stop(self) -> None:
        poke.set_local(None)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                deliver.run(base_url=self.base_url)
            except (DBAPIError, PoolTimeout) as exc:  # the database is down: say so once a sweep, briefly
                log.warning("notify pass skipped: database unavailable (%s)", type(exc).__name__)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("notify pass failed")
            self._wake.wait(self.sweep_seconds)
            self._wake.clear()
