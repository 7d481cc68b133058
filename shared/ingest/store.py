"""Turning one validated report into a bug: an upsert on the fingerprint.

The SQL is in shared/ingest/batch.py and runs through the group-commit writer
(shared/ingest/writer.py): concurrent reports of one instance share one transaction, a
report's answer comes only after its commit, and the driver connections of
shared/db/driver.py carry it, so this path never imports SQLAlchemy.

A report with an `event_id` first claims it (`ingest_event`) in the same transaction: a
retry of an accepted event within 24 h finds it claimed and is answered with the bug as it
stands, counted once. A failed transaction releases the claim with everything else, so a
retry after a 503 is counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.core.fingerprint import custom_fingerprint, fingerprint, fingerprint_parts
from shared.db.counters import bucket_of
from shared.ingest import writer
from shared.ingest.batch import COLUMNS, EVENT_ID_WINDOW, Item
from shared.ingest.validation import Report


@dataclass
class IngestResult:
    id: int
    fingerprint: str
    status: str
    is_new: bool
    occurrence_count: int
    action: str  # created | counted | rescan | reopened | duplicate (an event_id seen already)


def scan_key(report: Report) -> str | None:
    """The identity of one observed crash: a re-scan of the same crash repeats it."""
    if report.source != "deployment":
        return None
    ctx = report.context
    if ctx.get("pod_name") is None:
        return None
    return f"{ctx.get('pod_name')}|{ctx.get('restart_count')}|{ctx.get('reason')}"[:400]


def fingerprint_of(report: Report) -> str:
    if report.fingerprint_parts is not None:
        default = fingerprint_parts(report.source, report.project_id, report.error_type, report.file_path,
                                    report.line_number, report.context)
        return custom_fingerprint(report.source, report.project_id, report.fingerprint_parts, default)
    return fingerprint(report.source, report.project_id, report.error_type, report.file_path,
                       report.line_number, report.context)


def _json(value):  # noqa: ANN001, ANN202
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def prepare(report: Report) -> Item:
    """The report's row values, fingerprint, re-scan key and counter bucket."""
    fp = fingerprint_of(report)
    params = {c: getattr(report, c, None) for c in COLUMNS}
    stack_trace, context = _json(report.stack_trace), _json(report.context)
    params.update(fingerprint=fp, stack_trace=stack_trace, context=context, scan_key=scan_key(report),
                  first_version=report.version, bucket=bucket_of(fp), event_id=report.event_id)
    size = len(stack_trace or "") + len(context or "") + len(report.error_message or "") + 512
    return Item(report=report, params=params, size=size)


def ingest(report: Report) -> IngestResult:
    outcome = writer.write(prepare(report))
    return IngestResult(id=outcome.id, fingerprint=outcome.fingerprint, status=outcome.status,
                        is_new=outcome.action == "created", occurrence_count=outcome.occurrence_count,
                        action=outcome.action)


__all__ = ["EVENT_ID_WINDOW", "IngestResult", "fingerprint_of", "ingest", "prepare", "scan_key"]
