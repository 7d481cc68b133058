"""LOGCENTER_SENTRY_EVENTS_PER_MINUTE per project: an exact sliding window, in process.

Each process keeps the times of the events it accepted in the last 60 seconds, per project
(at most `limit` of them), so a limit of N admits at most N events in any 60 seconds per
process — with several replicas, N per replica. An SDK told 429 with `X-Sentry-Rate-Limits`
stops sending errors for that project until the window frees a slot, which is what keeps a
crash loop from flooding the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0


class SlidingWindow:
    def __init__(self, clock=time.monotonic) -> None:  # noqa: ANN001
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: dict[str, deque[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self._accepted.clear()

    def admit(self, key: str, limit: int, count: int = 1) -> int | None:
        """None when `count` more events fit under `limit` (and they are counted); otherwise
        the whole seconds until they would."""
        if limit <= 0 or count <= 0:
            return None
        now = self._clock()
        with self._lock:
            times = self._accepted.get(key)
            if times is None or times.maxlen != limit:
                times = self._accepted[key] = deque(times or (), maxlen=limit)
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            if count > limit:
                return math.ceil(WINDOW_SECONDS)
            if len(times) + count > limit:
                # The slot that frees first is the oldest one this request would need.
                oldest_needed = times[len(times) + count - limit - 1]
                return max(1, math.ceil(oldest_needed + WINDOW_SECONDS - now))
            times.extend([now] * count)
            return None


WINDOW = SlidingWindow()
