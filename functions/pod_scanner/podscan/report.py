"""Sending reports to Log Center (`POST <LOG_CENTER_URL>/api/v1/logs/report`).

One requests.Session shared by the worker threads (its pool sized to the concurrency).
A 429/503 is retried once after its Retry-After (at most 2 s). After three reports in a
row fail to connect, Log Center counts as down and the rest are not attempted, so a dead
Log Center costs a scan seconds, not minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .config import ScanConfig

UNREACHABLE_AFTER = 3


@dataclass
class Sent:
    ok: bool
    status: int | None = None
    body: dict[str, Any] | None = None
    error: str | None = None
    connect_failed: bool = False


class Reporter:
    def __init__(self, config: ScanConfig):
        self.url = config.report_url
        self.timeout = config.report_timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(config.concurrency, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "log-center-pod-scanner"
        if config.log_center_token:
            self.session.headers["Authorization"] = f"Bearer {config.log_center_token}"
        self._lock = threading.Lock()
        self._connect_failures = 0
        self.attempted = 0

    @property
    def unreachable(self) -> bool:
        with self._lock:
            return self._connect_failures >= UNREACHABLE_AFTER

    def send(self, payload: dict[str, Any]) -> Sent:
        if self.unreachable:
            return Sent(False, error="not sent: Log Center is unreachable", connect_failed=True)
        with self._lock:
            self.attempted += 1
        for attempt in (1, 2):
            try:
                response = self.session.post(self.url, json=payload, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                with self._lock:
                    self._connect_failures += 1
                return Sent(False, error=f"cannot reach Log Center at {self.url}: {type(exc).__name__}",
                            connect_failed=True)
            except requests.RequestException as exc:
                return Sent(False, error=f"{type(exc).__name__}: {exc}")
            with self._lock:
                self._connect_failures = 0
            if response.status_code in (429, 503) and attempt == 1:
                try:
                    delay = min(float(response.headers.get("Retry-After", "1")), 2.0)
                except ValueError:
                    delay = 1.0
                time.sleep(max(delay, 0.0))
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.ok and isinstance(body, dict):
                return Sent(True, response.status_code, body)
            message = (body or {}).get("error", {}).get("message") if isinstance(body, dict) else None
            return Sent(False, response.status_code, body if isinstance(body, dict) else None,
                        f"Log Center answered {response.status_code}: {message or response.text[:200]}")
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def close(self) -> None:
        self.session.close()
