"""Making untrusted text storable in both databases."""

from __future__ import annotations


def clean_text(value: str) -> str:
    """Without NUL bytes (PostgreSQL text cannot hold them) and lone surrogates (not UTF-8)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value
