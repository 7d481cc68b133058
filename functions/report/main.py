"""report: ingest one error of any source (POST /api/v1/logs/report)."""

import functions_framework

from shared.db.driver import check_database
from shared.http.router import Call, Router
from shared.ingest.store import ingest
from shared.ingest.validation import validate_report

router = Router("report", ready=check_database)


@router.route("POST", "/api/v1/logs/report", "/", auth="ingest")
def _report(call: Call):
    report = validate_report(call.json())
    result = ingest(report)
    body = {"id": result.id, "fingerprint": result.fingerprint, "status": result.status,
            "is_new": result.is_new, "occurrence_count": result.occurrence_count}
    if result.action == "duplicate":
        body["duplicate"] = True  # this event_id was accepted before: not counted again
    if report.truncated:
        body["truncated"] = report.truncated
    return body, 201 if result.is_new else 200


@functions_framework.http
def report(request):
    return router.dispatch(request)
