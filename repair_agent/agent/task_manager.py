"""The Log Center API as the repair agent uses it: pending runtime bugs, claim, status, detail.

Every call has a timeout. Failures surface as one of the LogCenterError subclasses below,
each with a message fit to print as it is:

- Unreachable     nothing answered at LOG_CENTER_URL (refused, DNS, timeout, TLS, …)
- Unauthorized    401: the token is missing or wrong
- NotFound        404 (unknown bug)
- Conflict        409 (not claimable / FIXING is entered only by claim)
- ApiError        any other error answer (its `status`, `code`, `details` as the server sent them)
- BadResponse     an answer that is not Log Center's JSON (wrong URL, proxy page, …)
"""

from __future__ import annotations

from typing import Any

import requests

from repair_agent.config import Config, load_config

RUNTIME = "runtime"
MAX_PENDING_LIMIT = 100  # the server's cap for tasks/pending?limit=


class LogCenterError(Exception):
    """Anything that stops a call to Log Center from giving its answer."""


class Unreachable(LogCenterError):
    pass


class BadResponse(LogCenterError):
    pass


class ApiError(LogCenterError):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 text: str | None = None):
        self.status, self.code, self.api_message, self.details = status, code, message, details or []
        if text is not None:
            super().__init__(text)
            return
        text = f"Log Center answered {status} {code}: {message}"
        if self.details:
            text += " (" + "; ".join(f"{d.get('field', '?')}: {d.get('issue', '?')}" for d in self.details) + ")"
        super().__init__(text)


class Unauthorized(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


_BY_STATUS = {401: Unauthorized, 404: NotFound, 409: Conflict}


class TaskManager:
    """A client for one Log Center; `TaskManager()` reads LOG_CENTER_URL / LOG_CENTER_TOKEN."""

    def __init__(self, config: Config | None = None, session: requests.Session | None = None):
        self.config = config or load_config()
        self.base_url = self.config.url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "log-center-repair-agent"
        if self.config.token:
            self.session.headers["Authorization"] = f"Bearer {self.config.token}"

    # ------------------------------------------------------------------ the API

    def fetch_pending_bugs(self, project_id: str | None = None, limit: int = 10) -> dict[str, Any]:
        """Runtime bugs waiting for repair (NEW and PENDING_FIX, oldest first): `{items, total}`.

        Only `source=runtime`: CI/CD and deployment errors are not auto-repairable.
        """
        params: dict[str, Any] = {"source": RUNTIME, "limit": max(1, min(int(limit), MAX_PENDING_LIMIT))}
        if project_id:
            params["project_id"] = project_id
        return self._call("GET", "/api/v1/tasks/pending", params=params)

    def claim(self, bug_id: int, note: str | None = None) -> dict[str, Any]:
        """Atomically move a NEW / PENDING_FIX / FIX_FAILED runtime bug to FIXING; Conflict if someone
        else was faster or the bug is in another status. Returns the bug with its history."""
        body = {"note": note} if note else None
        return self._call("POST", f"/api/v1/tasks/{int(bug_id)}/claim", json=body)

    def update_status(self, bug_id: int, status: str, note: str | None = None) -> dict[str, Any]:
        """Set a bug's status (FIXED, FIX_FAILED, PENDING_FIX, …) with an optional note."""
        body: dict[str, Any] = {"status": status.upper()}
        if note is not None:
            body["note"] = note
        return self._call("PATCH", f"/api/v1/bugs/{int(bug_id)}/status", json=body)

    def get_bug(self, bug_id: int) -> dict[str, Any]:
        """One bug, whole, with its status history (newest first)."""
        return self._call("GET", f"/api/v1/bugs/{int(bug_id)}")

    def recent_occurrences(self, bug_id: int, limit: int) -> list[dict[str, Any]]:
        """The bug's newest `limit` kept occurrences, newest first."""
        answer = self._call("GET", f"/api/v1/bugs/{int(bug_id)}/occurrences",
                            params={"page": 1, "page_size": max(1, int(limit))})
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise BadResponse(f"GET {self.base_url}/api/v1/bugs/{int(bug_id)}/occurrences answered without "
                              f"an `items` list")
        return items

    # ------------------------------------------------------------------ plumbing

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.base_url + path
        timeout = self.config.http_timeout
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout:
            raise Unreachable(f"Log Center at {self.base_url} did not answer within {timeout:g} s") from None
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"cannot reach Log Center at {self.base_url}: TLS error ({_reason(exc)})") from None
        except requests.ConnectionError as exc:
            raise Unreachable(f"cannot reach Log Center at {self.base_url}: {_reason(exc)} "
                              f"(is it running? check LOG_CENTER_URL)") from None
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach Log Center at {self.base_url}: {_reason(exc)}") from None
        return self._answer(method, url, response)

    def _answer(self, method: str, url: str, response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok:
            if body is None:
                raise BadResponse(f"{method} {url} answered {response.status_code} but not with JSON; "
                                  f"is LOG_CENTER_URL Log Center's address?")
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            if response.status_code == 401:
                raise Unauthorized(401, "unauthorized", "", text=self._token_hint())
            raise BadResponse(f"{method} {url} answered HTTP {response.status_code} without Log Center's "
                              f"error body; is LOG_CENTER_URL Log Center's address?")
        status = response.status_code
        code = str(error.get("code") or "error")
        message = str(error.get("message") or response.reason or "")
        details = error.get("details") if isinstance(error.get("details"), list) else []
        if status == 401:
            raise Unauthorized(status, code, message, details, text=self._token_hint(f"{status} {code}: {message}"))
        raise _BY_STATUS.get(status, ApiError)(status, code, message, details)

    def _token_hint(self, answer: str = "401 unauthorized") -> str:
        if self.config.token:
            return f"Log Center refused LOG_CENTER_TOKEN ({answer}); set it to a valid API token"
        return f"Log Center needs an API token ({answer}); set LOG_CENTER_TOKEN"


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, without urllib3's object reprs."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "nodename nor servname",
                   "Temporary failure in name resolution", "No route to host", "Network is unreachable",
                   "Connection reset by peer", "Remote end closed connection", "certificate verify failed"):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(exc).__name__
