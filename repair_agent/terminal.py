"""Text from bugs made safe for a terminal.

Bug fields come from whoever holds the ingest token. Printed raw, `ESC ] 0 ; … BEL` retitles
the terminal, `ESC [ 2 J` clears it, a carriage return overwrites the line before, and bidi
overrides make code read differently than it runs. Every such character is shown as an escape
(`\\x1b`, `\\u202e`) instead; ordinary text, tabs and non-Latin scripts are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab (and newline, which callers split on), DEL, C1 controls, and the Unicode
# bidi embeddings/overrides/isolates, line/paragraph separators and the BOM.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any) -> str:
    """One line of `text` with every control character escaped (a newline too)."""
    return _UNSAFE.sub(_escape, str(text))


def safe_lines(text: Any) -> list[str]:
    """`text` split into lines (any line break), each made safe."""
    return [safe(line) for line in str(text).splitlines()]


# json.dumps escapes C0 controls inside strings itself; raw newlines in its output are layout.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def safe_json(text: str) -> str:
    """JSON text with DEL, C1 controls and the Unicode ones above as `\\uXXXX` escapes (with
    ensure_ascii=False json.dumps leaves U+009B, a CSI, raw). The result is the same JSON value."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
