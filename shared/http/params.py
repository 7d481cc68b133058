"""Query-string parsing with field-level 422s."""

from __future__ import annotations

from shared.http.errors import NotFound, ValidationFailed, field_error


def choice_list(value: str | None, name: str, allowed: list[str], normalize=str) -> list[str] | None:
    """A comma list of enum values (`status=NEW,PENDING_FIX`); None when absent."""
    if value is None:
        return None
    items = [normalize(v.strip()) for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise ValidationFailed(f"invalid {name}", [field_error(name, f"must be one of {', '.join(allowed)}")])
    return items


def text_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    # PostgreSQL text cannot hold NUL; stored values never contain one (validation drops them).
    items = [v.replace("\x00", "").strip() for v in value.split(",") if v.strip()]
    return items or None


def integer(value: str | None, name: str, default: int, minimum: int, maximum: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"invalid {name}", [field_error(name, "must be an integer")]) from None
    if not minimum <= number <= maximum:
        raise ValidationFailed(f"invalid {name}",
                               [field_error(name, f"must be between {minimum} and {maximum}")])
    return number


def path_id(value: str, what: str) -> int:
    """A row id from the path (`what` names the kind in the 404): anything but a positive
    integer names no row."""
    # Ids are 32-bit integers in both databases: a larger number names no row (and must not
    # reach PostgreSQL, which rejects it as out of range for the column).
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > 2**31 - 1:
        raise NotFound(f"no {what} {value!r}")
    return int(value)
