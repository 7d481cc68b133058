"""Nudging `notify` after a report that produced an alert: fire and forget.

The report has committed its alert rows already, so a poke that is lost costs only time:
the one-minute cron (or the gateway's sweep) delivers them. It never blocks the report
and never raises into it. Pokes are coalesced: one background thread sends at most one
request at a time, and a burst of alerts while it is out becomes one more request.

- In the local gateway, `set_local` points pokes at its notify thread (shared/alerts/worker.py).
- Elsewhere, with LOGCENTER_NOTIFY_URL set (OpenFaaS: the gateway's
  `/async-function/notify`, which queues the call and answers 202 at once), a POST with a
  tight timeout, carrying this function's ingest token (notify accepts it).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from shared.settings import get_settings

log = logging.getLogger("logcenter.alerts")
POKE_TIMEOUT_SECONDS = 2.0

_local: Callable[[], None] | None = None
_wanted = threading.Event()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def set_local(nudge: Callable[[], None] | None) -> None:
    """In-process delivery (the gateway): pokes call `nudge` instead of going over HTTP."""
    global _local
    _local = nudge


def poke() -> None:
    try:
        if _local is not None:
            _local()
            return
        if get_settings().notify_url is None:
            return
        _wanted.set()
        _ensure_thread()
    except Exception:  # noqa: BLE001 - a poke must never fail a report
        log.exception("could not poke notify")


def _ensure_thread() -> None:
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="logcenter-notify-poke", daemon=True)
            _thread.start()


def _loop() -> None:
    while True:
        _wanted.wait()
        _wanted.clear()
        try:
            _post()
        except Exception as exc:  # noqa: BLE001 - the cron delivers what a lost poke would have
            log.warning("poking notify failed (%s); the cron will deliver", type(exc).__name__)


def _post() -> None:
    import urllib.request

    settings = get_settings()
    url = settings.notify_url
    if url is None:
        return
    headers = {"Content-Type": "application/json", "X-Log-Center-Poke": "report"}
    token = next(iter(settings.ingest_tokens), None)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=b"{}", headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=POKE_TIMEOUT_SECONDS) as answer:  # noqa: S310 - a configured URL
        answer.read(1024)
