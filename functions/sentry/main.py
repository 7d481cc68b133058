"""sentry: Sentry SDKs' front door (POST /api/{sentry_id}/envelope/ and /api/{sentry_id}/store/).

The DSN key is the credential (no ingest token); any origin may post (browser SDKs).
"""

import functions_framework

from shared.db.driver import check_database
from shared.http.cors import allow_any_origin
from shared.http.router import Call, Router
from shared.sentry.receive import is_ingest_path, receive_envelope, receive_store

router = Router("sentry", ready=check_database)


@router.route("POST", "/api/{sentry_id}/envelope", auth=None)
def _envelope(call: Call):
    return receive_envelope(call.request, call.params["sentry_id"], call.settings)


@router.route("POST", "/api/{sentry_id}/store", auth=None)
def _store(call: Call):
    return receive_store(call.request, call.params["sentry_id"], call.settings)


@functions_framework.http
def sentry(request):
    response = router.dispatch(request)
    return allow_any_origin(response, request) if is_ingest_path(request.path) else response
