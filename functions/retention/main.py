"""retention: keep the database bounded (daily cron; DESIGN.md "Retention").

`POST /` (the retention-trigger CronJob, k8s/triggers.yaml; API token when one is set) runs once and
answers what it removed; `POST /api/v1/retention/run?dry_run=true` counts instead;
`GET /api/v1/retention` shows the settings in force and the last runs (the dashboard).
"""

import functions_framework

from shared.db.engine import check_database
from shared.http.errors import ValidationFailed, field_error
from shared.http.router import Call, Router
from shared.retention import run as retention_run

router = Router("retention", ready=check_database)


def _dry_run(call: Call) -> bool:
    value = (call.arg("dry_run") or "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise ValidationFailed("invalid dry_run", [field_error("dry_run", "must be true or false")])
    return value in ("true", "1")


@router.route("POST", "/", "/api/v1/retention/run")
def _run(call: Call):
    trigger = call.request.headers.get("X-Connector") or call.request.headers.get("Ce-Source") or "api"
    return retention_run.run(dry_run=_dry_run(call), trigger=trigger)


@router.route("GET", "/api/v1/retention", "/status")
def _status(call: Call):
    return {"settings": retention_run.settings_in_force(), "last_runs": retention_run.last_runs()}


@functions_framework.http
def retention(request):
    return router.dispatch(request)
