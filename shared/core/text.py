"""Making untrusted text storable in both databases."""

from __future__ import annotations


def clean_text(value: str) -> str:
    """Without NUL bytes (PostgreSQL text cannot hold them) and lone surrogates (not UTF-8)."""
    if value.isascii():  # the common case, checked in C: no surrogate can be in it
        return value.replace("\x00", "") if "\x00" in value else value
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def printable(value: str, limit: int = 200) -> str:
    """`value` safe to put in a log line or an error message: control characters (a NUL, ESC
    sequences that rewrite a terminal, a newline that forges a second log line) escaped as
    `\\xNN`, and at most `limit` characters (a 4 kB URL is noise in a log)."""
    out = "".join(ch if ch.isprintable() else _escape(ch) for ch in value[:limit])
    return out + ("…" if len(value) > limit else "")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
