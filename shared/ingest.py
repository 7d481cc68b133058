"""Turning one validated report into a bug: a single atomic upsert on the fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db import session_scope
from shared.fingerprint import fingerprint
from shared.models import RESOLVED_STATUSES, DailyOccurrences, ErrorLog, StatusHistory
from shared.settings import get_settings
from shared.timeutil import local_day, utcnow
from shared.validation import Report


@dataclass
class IngestResult:
    id: int
    fingerprint: str
    status: str
    is_new: bool
    occurrence_count: int
    action: str  # created | counted | rescan | reopened


def _insert(session: Session):  # noqa: ANN202
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def scan_key(report: Report) -> str | None:
    """The identity of one observed crash: a re-scan of the same crash repeats it."""
    if report.source != "deployment":
        return None
    ctx = report.context
    if ctx.get("pod_name") is None:
        return None
    return f"{ctx.get('pod_name')}|{ctx.get('restart_count')}|{ctx.get('reason')}"[:400]


def ingest(report: Report) -> IngestResult:
    now = utcnow()
    fp = fingerprint(report.source, report.project_id, report.error_type, report.file_path,
                     report.line_number, report.context)
    values = dict(
        project_id=report.project_id, source=report.source, level=report.level,
        environment=report.environment, version=report.version, commit_hash=report.commit_hash,
        error_type=report.error_type, error_message=report.error_message,
        file_path=report.file_path, line_number=report.line_number,
        stack_trace=report.stack_trace, context=report.context, fingerprint=fp,
        reported_at=report.reported_at, scan_key=scan_key(report),
    )
    with session_scope(write=True) as session:
        insert = _insert(session)
        table = ErrorLog.__table__
        stmt = insert(table).values(**values, status="NEW", occurrence_count=1, is_regression=False,
                                    first_seen_at=now, last_seen_at=now, last_ingest="created")
        new = stmt.excluded
        regression = and_(table.c.source == "runtime", table.c.status.in_(RESOLVED_STATUSES))
        same_scan = and_(table.c.scan_key.is_not(None), table.c.scan_key == new.scan_key)
        latest = {name: getattr(new, name) for name in values if name != "fingerprint"}
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.fingerprint],
            set_={
                **latest,
                # Every right-hand side below reads the row as it was before this update.
                "occurrence_count": case((same_scan, table.c.occurrence_count),
                                         else_=table.c.occurrence_count + 1),
                "last_seen_at": new.last_seen_at,
                "status": case((regression, "NEW"), else_=table.c.status),
                "is_regression": case((regression, True), else_=table.c.is_regression),
                "reopened_from": case((regression, table.c.status), else_=None),
                "last_ingest": case((regression, "reopened"), (same_scan, "rescan"), else_="counted"),
            },
        ).returning(table.c.id, table.c.status, table.c.occurrence_count, table.c.last_ingest,
                    table.c.reopened_from)
        row = session.execute(stmt).one()
        if row.last_ingest == "reopened":
            session.add(StatusHistory(bug_id=row.id, from_status=row.reopened_from, to_status="NEW",
                                      note=f"regression: reported again after {row.reopened_from}",
                                      actor="system", created_at=now))
        if row.last_ingest != "rescan":
            _count_day(session, insert, report, now)
    return IngestResult(id=row.id, fingerprint=fp, status=row.status, is_new=row.last_ingest == "created",
                        occurrence_count=row.occurrence_count, action=row.last_ingest)


def _count_day(session: Session, insert, report: Report, now) -> None:  # noqa: ANN001
    day = local_day(now, get_settings().timezone)
    table = DailyOccurrences.__table__
    stmt = insert(table).values(day=day, project_id=report.project_id, source=report.source, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.day, table.c.project_id, table.c.source],
                                      set_={"count": table.c.count + 1})
    session.execute(stmt)
