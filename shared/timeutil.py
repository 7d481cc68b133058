"""UTC in storage and on the wire; LOGCENTER_TIMEZONE only for day boundaries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Naive UTC: both databases store timestamps without a zone."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.isoformat(timespec="milliseconds") + "Z"


def parse_iso(value: str) -> datetime:
    """ISO 8601 with an offset or Z (naive means UTC), returned as naive UTC.

    Anything that is not such a time raises ValueError, including a time whose UTC instant
    falls outside years 1-9999 (`0001-01-01T00:00:00+23:59`): Python raises OverflowError
    for that, which callers must not have to know about."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(f"{value!r} is outside years 1-9999 in UTC") from None
    return dt


def local_day(dt_utc: datetime, tz: ZoneInfo) -> date:
    return dt_utc.replace(tzinfo=timezone.utc).astimezone(tz).date()


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `tz`."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)


def last_days(today: date, count: int) -> list[date]:
    return [today - timedelta(days=count - 1 - i) for i in range(count)]
