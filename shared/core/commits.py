"""Commit shas as versions: which strings are shas, and when two of them name one commit.

A short sha (`git rev-parse --short`, an image tag like `shop:9f2c1e0`) and the full one a
CI runner reports name the same commit when one is a prefix of the other and the shorter
has at least MIN_SHA characters (git's own default abbreviation). Kept in a leaf so the
releases domain and the migration that backfills releases apply the same rule.
"""

from __future__ import annotations

import re

MIN_SHA = 7
# SHA-1 (40) and SHA-256 (64) object names, and every abbreviation of them down to MIN_SHA.
_SHA = re.compile(r"[0-9a-f]{%d,64}" % MIN_SHA)


def as_sha(value: str | None) -> str | None:
    """The value as a lowercase commit sha, or None when it is not one."""
    if value is None:
        return None
    text = value.strip().lower()
    return text if _SHA.fullmatch(text) else None


def sha_key(sha: str) -> str:
    """The indexed part of a sha: every sha naming the same commit shares its first MIN_SHA chars."""
    return sha[:MIN_SHA]


def same_commit(a: str | None, b: str | None) -> bool:
    """Two shas (already lowercase, from as_sha) naming one commit: one a prefix of the other."""
    if not a or not b:
        return False
    return a.startswith(b) or b.startswith(a)


def longer(a: str | None, b: str | None) -> str | None:
    """Of two shas of one commit, the more precise."""
    if a is None or (b is not None and len(b) > len(a)):
        return b
    return a
