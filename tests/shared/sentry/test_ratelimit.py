"""The sliding window: exact over any 60 seconds, per key, told how long to wait."""

from shared.sentry.ratelimit import SlidingWindow


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_sliding_window_of_sixty_seconds():
    clock = Clock()
    window = SlidingWindow(clock)
    assert [window.admit("p", 3) for _ in range(3)] == [None, None, None]
    assert window.admit("p", 3) == 60
    assert window.admit("other", 3) is None  # per project
    clock.now += 59.5
    assert window.admit("p", 3) == 1
    clock.now += 0.5
    assert window.admit("p", 3) is None  # the first slot freed exactly 60 s later
    assert window.admit("p", 3) is None and window.admit("p", 3) is None
    assert window.admit("p", 3) is not None


def test_several_events_at_once_and_no_limit():
    clock = Clock()
    window = SlidingWindow(clock)
    assert window.admit("p", 0, 1000) is None
    assert window.admit("p", 5, 6) == 60  # never fits
    assert window.admit("p", 5, 4) is None
    clock.now += 10
    assert window.admit("p", 5, 2) == 50  # the oldest needed slot frees at 60 s
    assert window.admit("p", 5, 1) is None
