"""alerts: the alert rules (CRUD), a test message, and the delivery log (DESIGN.md "Alerts").

    GET/POST /api/v1/alerts           list / create
    GET /api/v1/alerts/deliveries     recent deliveries: ?rule_id=&status=pending|sent|failed&limit=
    GET/PATCH/DELETE /api/v1/alerts/{id}
    POST /api/v1/alerts/{id}/test     send a test message now; answers what the channel said
"""

import functions_framework

from shared.alerts import deliver, deliveries, rules
from shared.db.engine import check_database
from shared.http.errors import ValidationFailed, field_error
from shared.http.params import integer, path_id
from shared.http.router import Call, Router

router = Router("alerts", ready=check_database)


@router.route("GET", "/api/v1/alerts", "/")
def _list(call: Call):
    return rules.list_rules()


@router.route("POST", "/api/v1/alerts", "/")
def _create(call: Call):
    return rules.create(call.json()), 201


# Before /{id}: "deliveries" would otherwise be read as a rule id.
@router.route("GET", "/api/v1/alerts/deliveries", "/deliveries")
def _deliveries(call: Call):
    rule_id = call.arg("rule_id")
    status = call.arg("status")
    if status is not None and status.lower() not in deliveries.STATUSES:
        raise ValidationFailed("invalid status", [field_error("status", "one of pending, sent, failed")])
    return deliveries.list_deliveries(
        integer(rule_id, "rule_id", 0, 1, 2**31 - 1) if rule_id is not None else None,
        status.lower() if status else None, integer(call.arg("limit"), "limit", 50, 1, 500))


@router.route("GET", "/api/v1/alerts/{id}", "/{id}")
def _get(call: Call):
    return rules.public(rules.load(path_id(call.params["id"], "alert rule")))


@router.route("PATCH", "/api/v1/alerts/{id}", "/{id}")
def _update(call: Call):
    return rules.update(path_id(call.params["id"], "alert rule"), call.json())


@router.route("DELETE", "/api/v1/alerts/{id}", "/{id}")
def _delete(call: Call):
    rules.delete(path_id(call.params["id"], "alert rule"))
    return {"deleted": True}


@router.route("POST", "/api/v1/alerts/{id}/test", "/{id}/test")
def _test(call: Call):
    return deliver.send_test(path_id(call.params["id"], "alert rule"), call.request.host_url)


@functions_framework.http
def alerts(request):
    return router.dispatch(request)
