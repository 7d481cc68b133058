"""notify: deliver the alerts that are due (DESIGN.md "Alerts").

`POST /` runs one delivery pass and answers what it did. Called asynchronously after a
report that produced an alert (OpenFaaS `/async-function/notify`, with the report's ingest
token) and every minute by the cron trigger (API token); either token is accepted.
"""

import functions_framework

from shared.alerts import deliver
from shared.db.engine import check_database
from shared.http.router import Call, Router

router = Router("notify", ready=check_database)


@router.route("POST", "/", "/run", auth="any")
def _run(call: Call):
    return deliver.run(base_url=call.request.host_url)


@functions_framework.http
def notify(request):
    return router.dispatch(request)
