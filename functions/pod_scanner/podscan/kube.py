"""The Kubernetes API calls the scanner makes — and only these (the RBAC in
k8s/monitor-cronjob.yaml grants exactly them; tests/deploy checks the two agree):

| call | verb | resource |
|---|---|---|
| `list_pod_for_all_namespaces` / `list_namespaced_pod` | list | pods |
| `read_namespaced_pod_log` | get | pods/log |

Nothing else is granted: the scanner never reads single pods, so `get pods` is not
(rbac.py makes the Roles from this table; with NAMESPACES set, one Role per namespace).

The official client is imported lazily, so importing this package stays cheap. Responses
are read raw (`_preload_content=False`) and parsed as JSON: turning 5,000 pods into
`V1Pod` model objects costs seconds, the JSON costs milliseconds.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterator

log = logging.getLogger("logcenter.pod_scanner")

API_CALLS = (
    ("list", "pods", ""),
    ("get", "pods", "log"),
)
NO_LOG_MARKERS = ("unable to retrieve container logs",)


class KubeError(Exception):
    """A Kubernetes API call failed; `status` is the HTTP status (None: no response)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def load_api_client(concurrency: int = 8):  # noqa: ANN201 - kubernetes.client.ApiClient
    """In-cluster config (a pod's ServiceAccount), else the kubeconfig ($KUBECONFIG or ~/.kube/config)."""
    from kubernetes import client, config as kconfig

    configuration = client.Configuration()
    try:
        kconfig.load_incluster_config(client_configuration=configuration)
    except kconfig.ConfigException:
        try:
            # $KUBECONFIG read now, not when kubernetes was imported (the client caches it then).
            kconfig.load_kube_config(config_file=os.environ.get("KUBECONFIG") or None,
                                     client_configuration=configuration)
        except (kconfig.ConfigException, OSError, TypeError) as exc:
            raise KubeError(f"no Kubernetes configuration: not in a cluster and no usable kubeconfig ({exc})") from exc
    configuration.connection_pool_maxsize = max(concurrency, 1) + 2
    return client.ApiClient(configuration)


def _status_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
            if isinstance(data, dict) and data.get("message"):
                return str(data["message"])
        except (ValueError, TypeError):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
            return text.strip()[:300]
    return str(getattr(exc, "reason", None) or exc)


class Kube:
    """Thin wrapper over CoreV1Api that returns plain JSON and raises KubeError."""

    def __init__(self, api_client: Any, timeout: float = 30):
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        self.api_client = api_client
        self.core = client.CoreV1Api(api_client)
        self.timeout = timeout
        self._api_exception = ApiException

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> bytes:
        try:
            response = method(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
        except self._api_exception as exc:
            raise KubeError(_status_message(exc), exc.status) from None
        except Exception as exc:  # noqa: BLE001 - urllib3/socket errors: no response at all
            raise KubeError(f"{type(exc).__name__}: {exc}") from None
        try:
            return response.data
        finally:
            response.release_conn()

    def list_pods(self, namespace: str | None, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of pods (`limit`/`continue`); a continue token that expired (410) restarts once."""
        token: str | None = None
        restarted = False
        while True:
            kwargs: dict[str, Any] = {"limit": page_size}
            if token:
                kwargs["_continue"] = token
            try:
                if namespace is None:
                    raw = self._call(self.core.list_pod_for_all_namespaces, **kwargs)
                else:
                    raw = self._call(self.core.list_namespaced_pod, namespace, **kwargs)
            except KubeError as exc:
                if exc.status == 410 and token and not restarted:
                    log.warning("pod list continue token expired; listing again from the start")
                    token, restarted = None, True  # the caller skips pods it has already seen
                    continue
                raise
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise KubeError(f"the pod list is not JSON: {exc}") from None
            yield body.get("items") or []
            token = (body.get("metadata") or {}).get("continue")
            if not token:
                return

    def read_log(self, namespace: str, pod: str, container: str, previous: bool,
                 tail_lines: int, limit_bytes: int) -> str:
        raw = self._call(self.core.read_namespaced_pod_log, pod, namespace, container=container,
                         previous=previous, tail_lines=tail_lines, limit_bytes=limit_bytes)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        if any(marker in text for marker in NO_LOG_MARKERS) and len(text) < 1000:
            raise KubeError(text.strip(), 200)
        return text

    def close(self) -> None:
        try:
            self.api_client.close()
        except Exception:  # noqa: BLE001 - closing a pool never matters more than the scan
            pass
