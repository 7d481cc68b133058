"""Text search: the `q` condition, and which part of the term the trigram index is asked for.

`q` matches bugs whose search_text (lower-cased type and message) contains the term. On
PostgreSQL the trigram index finds candidates by intersecting the posting lists of the
term's trigrams. A trigram that nearly every row holds — `err` where most types end in
`Error` — has a posting list of nearly every row, and intersecting with it costs more than
everything else in the search: at a million bugs, `Err213` in one project read 533 index
pages (10 ms) of which the `err` list was most, against 172 pages (4.5 ms) for `rr213`.

So the scan that counts and collects matches asks the index for the longest part of the
term whose trigrams are all uncommon, and checks the whole term on the rows it returns
(an expression the index cannot serve). Which trigrams are common is read from the
planner's own sample of search_text (pg_stats, 1,000 entries since schema 10), refreshed
every few minutes. The rows found are the same either way; only the work differs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import func, literal, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from shared.db.models import ErrorLog

log = logging.getLogger("logcenter.search")

COMMON = 0.2  # a trigram in at least this share of the sample is not worth intersecting
NARROW_MAX = 0.05  # ...and the part asked for instead must be rarer than this (its own list is read whole)
SAMPLE_SECONDS = 300

_ROWS_SQL = text("SELECT reltuples FROM pg_class WHERE oid = CAST('errorlog' AS regclass)")
_SAMPLE_SQL = text("""
SELECT unnest(coalesce(histogram_bounds::text::text[], '{}') || coalesce(most_common_vals::text::text[], '{}'))
FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'errorlog' AND attname = 'search_text'""")


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards and the escape character taken literally (ESCAPE '/')."""
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def index_part(term: str, share: Callable[[str], float]) -> str | None:
    """The longest substring of `term` to ask the trigram index for instead of all of it, or
    None when the whole term is the better question.

    `share(s)` is the fraction of rows whose text contains `s`. Only ASCII terms are narrowed:
    the part must be a substring of what the database's lower() makes of the term, and
    Python's lower() agrees with it on ASCII."""
    t = term.lower()
    if not t.isascii() or len(t) < 4:
        return None
    common = [share(t[i:i + 3]) >= COMMON for i in range(len(t) - 2)]
    if not any(common):
        return None
    runs, start = [], None  # runs of uncommon trigram positions, as (first, past the last)
    for i, is_common in enumerate([*common, True]):
        if not is_common and start is None:
            start = i
        elif is_common and start is not None:
            runs.append((start, i))
            start = None
    for first, past in sorted(runs, key=lambda r: r[0] - r[1]):  # longest first, then leftmost
        part = t[first:past + 2]
        # pg_trgm indexes runs of letters and digits only: the part must hold a trigram of one.
        if any(len(word) >= 3 for word in "".join(c if c.isalnum() else " " for c in part).split()):
            return part if share(part) <= NARROW_MAX else None
    return None


class _Sample:
    """The planner's sample of search_text, per database, refreshed every SAMPLE_SECONDS, and
    the part chosen for each term against it (a dashboard repeats its searches)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_url: dict[str, tuple[float, list[str], float]] = {}  # read at, entries, table rows
        # (url, term) -> (the part to ask the index for, the matches expected); emptied when a
        # sample is read
        self._terms: dict[tuple[str, str], tuple[str | None, float]] = {}

    def part(self, conn: Connection, term: str) -> str | None:
        return self._term(conn, term)[0]

    def expected_matches(self, conn: Connection, term: str) -> float:
        """How many bugs the sample says contain `term` (0 without a sample)."""
        return self._term(conn, term)[1]

    def _term(self, conn: Connection, term: str) -> tuple[str | None, float]:
        _, entries, rows = self._read(conn)
        key = (str(conn.engine.url), term)
        known = self._terms.get(key)
        if known is None:
            share = share_in(entries)
            known = (index_part(term, share) if entries else None, share(term.lower()) * rows)
            if len(self._terms) > 4096:
                self._terms.clear()
            self._terms[key] = known
        return known

    def _read(self, conn: Connection) -> tuple[float, list[str], float]:
        url = str(conn.engine.url)
        now = time.monotonic()
        cached = self._by_url.get(url)
        if cached is not None and now - cached[0] < SAMPLE_SECONDS:
            return cached
        try:
            with conn.begin_nested():  # a failure must not abort the request's transaction
                entries = [row[0] for row in conn.execute(_SAMPLE_SQL) if row[0]]
                rows = max(float(conn.execute(_ROWS_SQL).scalar() or 0), 0.0)
        except DBAPIError as exc:
            log.warning("no search_text sample (%s): searches ask the index for whole terms", type(exc).__name__)
            entries, rows = [], 0.0
        read = (now, entries, rows)
        with self._lock:
            self._by_url[url] = read
            self._terms.clear()
        return read

    def clear(self) -> None:
        with self._lock:
            self._by_url.clear()
            self._terms.clear()


sample = _Sample()


def share_in(entries: list[str]) -> Callable[[str], float]:
    def share(part: str) -> float:
        return sum(part in e for e in entries) / len(entries) if entries else 0.0
    return share


def likely_past(conn: Connection, q: str, cap: int) -> bool:
    """Whether the sample expects well over `cap` bugs to contain `q` (PostgreSQL only)."""
    return conn.dialect.name == "postgresql" and sample.expected_matches(conn, q) > 2 * cap


def condition(q: str, conn: Connection | None = None) -> list[ColumnElement]:
    """The WHERE clauses of `q`. Given a PostgreSQL connection, the index is asked only for
    the term's uncommon part (index_part) and the whole term is checked on each row."""
    whole = ErrorLog.search_text.like(func.lower(like_pattern(q)), escape="/")
    if conn is None or conn.dialect.name != "postgresql":
        return [whole]
    part = sample.part(conn, q)
    if part is None:
        return [whole]
    # `|| ''` hides the column from the index, so the whole term is a check, not a second
    # index condition that would bring its common trigrams back.
    rechecked = (ErrorLog.search_text.op("||")(literal(""))).like(func.lower(like_pattern(q)), escape="/")
    return [ErrorLog.search_text.like(like_pattern(part), escape="/"), rechecked]
