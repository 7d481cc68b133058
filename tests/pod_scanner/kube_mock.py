"""A Kubernetes API server for the pod scanner's tests and benchmark: kmock over real HTTP.

`FakeCluster` holds pods (real API JSON), container logs and failure switches; `KubeApi`
serves it with kmock's KubernetesEmulator on 127.0.0.1 from a background event loop, so
the official synchronous `kubernetes` client (and subprocesses, via `kubeconfig()`) talk
to it like to an API server. What it implements, the way the API server does:

- GET /api/v1/pods and /api/v1/namespaces/{ns}/pods with `limit` + `continue` paging
  (PodList JSON; tokens are opaque offsets);
- GET /api/v1/namespaces/{ns}/pods/{name}/log with `container`, `previous`,
  `tailLines`, `limitBytes`, answered as text/plain (the client would otherwise try to
  parse JSON); `previous` for a container that never restarted is the real 400
  "previous terminated container … not found";
- 403 Status objects for forbidden namespaces, 404 for missing pods.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import kmock
import yaml


# Every answer is a full kmock.Response with its own status and Content-Type: kmock 0.8
# copies the status/headers of a Response returned by a callable onto the (shared) reaction,
# so a bare dict answered after a 403 would go out as a 403 text/plain.
def json_body(body: dict[str, Any], code: int = 200) -> kmock.Response:
    return kmock.Response(status=code, payload=body, headers={"Content-Type": "application/json"})


def status(code: int, reason: str, message: str) -> kmock.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    return json_body(body, code)


def text(body: str, code: int = 200) -> kmock.Response:
    return kmock.Response(status=code, payload=body.encode("utf-8"),
                          headers={"Content-Type": "text/plain; charset=utf-8"})


class FakeCluster:
    def __init__(self) -> None:
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        # (namespace, pod, container) -> {"previous": spec, "current": spec}; spec is a str
        # (200 text/plain) or an int status (an error Status of that code).
        self.logs: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.forbidden_namespaces: set[str] = set()
        self.vanished_pods: set[tuple[str, str]] = set()  # listed, but 404 on any later read
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.log_delay = 0.0
        self.log_inflight = 0
        self.max_log_inflight = 0
        self.lock = threading.Lock()

    def add(self, *pods: dict[str, Any]) -> None:
        for pod in pods:
            meta = pod["metadata"]
            self.pods[(meta["namespace"], meta["name"])] = pod

    def set_log(self, namespace: str, pod: str, container: str, *, previous: Any = None,
                current: Any = None) -> None:
        self.logs[(namespace, pod, container)] = {"previous": previous, "current": current}

    def log_requests(self) -> list[dict[str, str]]:
        return [params for path, params in self.requests if path.endswith("/log")]

    # ------------------------------------------------------------------ serving
    def serve(self, request: kmock.Request) -> Any:
        params = dict(request.params)
        with self.lock:
            self.requests.append((request.url.path, params))
        if request.method != kmock.method.GET:
            return status(405, "MethodNotAllowed", "the scanner only reads")
        namespace, name, sub = request.namespace, request.name, request.subresource
        if namespace in self.forbidden_namespaces:
            verb = "list" if name is None else "get"
            resource = "pods" if sub is None else f"pods/{sub}"
            return status(403, "Forbidden",
                          f'{resource} is forbidden: User "system:serviceaccount:log-center:pod-scanner" '
                          f'cannot {verb} resource "{resource}" in API group "" in the namespace "{namespace}"')
        if name is None:
            return self._list(namespace, params)
        if (namespace, name) not in self.pods or (namespace, name) in self.vanished_pods:
            return status(404, "NotFound", f'pods "{name}" not found')
        if sub == "log":
            return self._log(namespace, name, params)
        if sub is None:
            return json_body(self.pods[(namespace, name)])
        return status(404, "NotFound", f"the server could not find the requested resource ({sub})")

    def _list(self, namespace: str | None, params: dict[str, str]) -> kmock.Response:
        keys = sorted(k for k in self.pods if namespace is None or k[0] == namespace)
        start = int(params.get("continue") or 0)
        limit = int(params.get("limit") or 0) or len(keys) or 1
        page = keys[start:start + limit]
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if start + limit < len(keys):
            meta["continue"] = str(start + limit)
            meta["remainingItemCount"] = len(keys) - start - limit
        return json_body({"kind": "PodList", "apiVersion": "v1", "metadata": meta,
                          "items": [self.pods[k] for k in page]})

    async def _log_async(self, namespace: str, name: str, params: dict[str, str]) -> Any:
        self.log_inflight += 1
        self.max_log_inflight = max(self.max_log_inflight, self.log_inflight)
        try:
            await asyncio.sleep(self.log_delay)
            return self._log(namespace, name, params)
        finally:
            self.log_inflight -= 1

    def _log(self, namespace: str, name: str, params: dict[str, str]) -> Any:
        pod = self.pods[(namespace, name)]
        container = params.get("container") or ""
        names = [c["name"] for key in ("initContainers", "containers") for c in pod["spec"].get(key) or []]
        if container not in names:
            return status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = params.get("previous", "false").lower() == "true"
        spec = self.logs.get((namespace, name, container), {}).get("previous" if previous else "current")
        if spec is None:
            if previous:
                return status(400, "BadRequest",
                              f'previous terminated container "{container}" in pod "{name}" not found')
            return text("")
        if isinstance(spec, int):
            return status(spec, {403: "Forbidden", 404: "NotFound", 500: "InternalError"}.get(spec, "Failure"),
                          f"log of {name}/{container} failed with {spec}")
        lines = spec.splitlines(keepends=True)
        if params.get("tailLines"):
            lines = lines[-int(params["tailLines"]):]
        body = "".join(lines)
        if params.get("limitBytes"):
            body = body.encode()[: int(params["limitBytes"])].decode("utf-8", "ignore")
        return text(body)


class KubeApi:
    """kmock serving a FakeCluster on 127.0.0.1 from a background thread (context manager)."""

    def __init__(self, cluster: FakeCluster):
        self.cluster = cluster
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kmock", daemon=True)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with kmock.KubernetesEmulator() as handler, kmock.Server(handler) as server:
            cluster = self.cluster

            async def serve(request: kmock.Request) -> Any:
                if request.subresource == "log" and cluster.log_delay:
                    with cluster.lock:
                        cluster.requests.append((request.url.path, dict(request.params)))
                    return await cluster._log_async(request.namespace, request.name, dict(request.params))
                return cluster.serve(request)

            handler[kmock.resource("v1/pods")] << serve
            self.handler = handler
            self.url = str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> "KubeApi":
        self._thread.start()
        if not self._ready.wait(10) or self._error:
            raise RuntimeError(f"kmock did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def api_client(self, concurrency: int = 8):  # noqa: ANN201
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        configuration.connection_pool_maxsize = concurrency + 2
        return client.ApiClient(configuration)

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig file pointing at this server (for subprocesses and the function)."""
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
            "clusters": [{"name": "kmock", "cluster": {"server": self.url}}],
            "users": [{"name": "scanner", "user": {"token": "kmock-token"}}],
            "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "scanner"}}],
        }))
        return path


