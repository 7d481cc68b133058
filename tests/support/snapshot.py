"""Everything stored, to prove that a rejected request changed nothing."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import get_engine
from shared.models import DailyOccurrences, ErrorLog, StatusHistory


def stored_rows() -> dict[str, list[tuple]]:
    out = {}
    with get_engine().connect() as conn:
        for model in (ErrorLog, StatusHistory, DailyOccurrences):
            table = model.__table__
            key = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*key))]
    return out
