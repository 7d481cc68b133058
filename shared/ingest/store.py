"""Turning one validated report into a bug: an upsert on the fingerprint.

The SQL is in shared/ingest/batch.py and runs through the group-commit writer
(shared/ingest/writer.py): concurrent reports of one instance share one transaction, a
report's answer comes only after its commit, and the driver connections of
shared/db/driver.py carry it, so this path never imports SQLAlchemy.

In the same transaction, after the upsert, each stored report passes through the two
domains that keep state per report: release counters (shared/releases/track.py) and the
alerts outbox (shared/alerts/outbox.py); notify is poked after the commit when the report
produced an alert.

A report with an `event_id` first claims it (`ingest_event`) in the same transaction: a
retry of an accepted event within 24 h finds it claimed and is answered with the bug as it
stands, counted once. A failed transaction releases the claim with everything else, so a
retry after a 503 is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.alerts import poke
from shared.core.fingerprint import custom_fingerprint, fingerprint, fingerprint_parts
from shared.db.counters import bucket_of
from shared.ingest import writer
from shared.ingest.batch import COLUMNS, Item, to_json
from shared.ingest.validation import Report


@dataclass
class IngestResult:
    id: int
    fingerprint: str
    status: str
    is_new: bool
    occurrence_count: int
    action: str  # created | counted | rescan | reopened | duplicate (an event_id seen already)
    alerts: int = 0  # alert messages this report put in the outbox


def scan_key(report: Report) -> str | None:
    """The identity of one observed crash: a re-scan of the same crash repeats it.

    Pod, restart count and reason; when the scanner names the termination it saw, its
    finish time stands for the restart count: a crash seen as `terminated`, then in
    `CrashLoopBackOff`, then as the last state of the restarted container (restart count one
    higher) is one crash."""
    if report.source != "deployment":
        return None
    ctx = report.context
    if ctx.get("pod_name") is None:
        return None
    termination = ctx.get("termination")
    finished = termination.get("finished_at") if isinstance(termination, dict) else None
    crash = f"at {finished}" if isinstance(finished, str) and finished else ctx.get("restart_count")
    return f"{ctx.get('pod_name')}|{crash}|{ctx.get('reason')}"[:400]


def fingerprint_of(report: Report) -> str:
    if report.fingerprint_parts is not None:
        default = fingerprint_parts(report.source, report.project_id, report.error_type, report.file_path,
                                    report.line_number, report.context)
        return custom_fingerprint(report.source, report.project_id, report.fingerprint_parts, default)
    return fingerprint(report.source, report.project_id, report.error_type, report.file_path,
                       report.line_number, report.context)


def prepare(report: Report) -> Item:
    """The report's row values, fingerprint, re-scan key and counter bucket."""
    fp = fingerprint_of(report)
    params = {c: getattr(report, c, None) for c in COLUMNS}
    stack_trace, context = to_json(report.stack_trace), to_json(report.context)
    params.update(fingerprint=fp, stack_trace=stack_trace, context=context, scan_key=scan_key(report),
                  first_version=report.version, bucket=bucket_of(fp), event_id=report.event_id)
    size = len(stack_trace or "") + len(context or "") + len(report.error_message or "") + 512
    return Item(report=report, params=params, size=size)


def ingest(report: Report) -> IngestResult:
    outcome = writer.write(prepare(report))
    if outcome.alerts:
        poke.poke()  # after the commit: notify finds the rows; never blocks, never raises
    return IngestResult(id=outcome.id, fingerprint=outcome.fingerprint, status=outcome.status,
                        is_new=outcome.action == "created", occurrence_count=outcome.occurrence_count,
                        action=outcome.action, alerts=outcome.alerts)


