"""The embedded default: every function in one process, plus the built dashboard.

    python -m shared.gateway [--host 127.0.0.1] [--port 8080]

Routes `/function/<name>/…` and the `/api/v1/…` paths of DESIGN.md to the same handler
functions that run alone under functions-framework, and serves `web/dist` at `/` (any
other path without a file falls back to index.html, so /bugs and /bugs/<id> load the SPA).
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import logging
import sys
import threading
from pathlib import Path
from typing import Callable

import flask

from shared.core.text import printable
from shared.http.errors import ApiError, NotFound
from shared.http.responses import error_response, json_response
from shared.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
WEB_DIST = ROOT / "web" / "dist"

# OpenFaaS function name -> (folder under functions/, entry point)
FUNCTIONS = {
    "report": ("report", "report"),
    "bugs": ("bugs", "bugs"),
    "tasks": ("tasks", "tasks"),
    "stats": ("stats", "stats"),
    "pod-scanner": ("pod_scanner", "pod_scanner"),
    "retention": ("retention", "retention"),
    "alerts": ("alerts", "alerts"),
    "notify": ("notify", "notify"),
    "projects": ("projects", "projects"),
    "sentry": ("sentry", "sentry"),
    "releases": ("releases", "releases"),
}
# Longest path and path segment a request may name: what Linux allows (PATH_MAX, NAME_MAX).
# Anything longer names no file and no route; asking the file system would raise.
MAX_PATH = 4096
MAX_SEGMENT = 255
# API path prefix -> function (the same table the k8s ingress and DESIGN.md use)
API_ROUTES = [
    ("/api/v1/logs/report", "report"),
    ("/api/v1/bugs", "bugs"),
    ("/api/v1/projects", "projects"),
    ("/api/v1/tasks", "tasks"),
    ("/api/v1/dashboard", "stats"),
    ("/api/v1/retention", "retention"),
    ("/api/v1/alerts", "alerts"),
    ("/api/v1/releases", "releases"),
    ("/api/v1/deploys", "releases"),
    # Sentry SDKs post to /api/<sentry_id>/envelope/ and /store/: every /api path no longer
    # prefix names. The longest matching prefix wins, as in a Kubernetes Ingress.
    ("/api", "sentry"),
]

log = logging.getLogger("logcenter.gateway")
_loaded: dict[str, Callable] = {}
_load_lock = threading.Lock()


def load_function(name: str) -> Callable:
    """Import functions/<folder>/main.py under a unique module name (each is `main` on its own)."""
    handler = _loaded.get(name)
    if handler is not None:
        return handler
    with _load_lock:
        if name not in _loaded:
            folder, target = FUNCTIONS[name]
            source = ROOT / "functions" / folder / "main.py"
            if not source.exists():
                raise NotFound(f"function {name} is not part of this checkout")
            spec = importlib.util.spec_from_file_location(f"logcenter_function_{folder}", source)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            _loaded[name] = getattr(module, target)
    return _loaded[name]


def function_for(path: str) -> str | None:
    if path.startswith("/function/"):
        name = path.split("/")[2]
        return name if name in FUNCTIONS else None
    matches = [(prefix, name) for prefix, name in API_ROUTES if path == prefix or path.startswith(prefix + "/")]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else None


def create_app(web_dist: Path = WEB_DIST) -> flask.Flask:
    app = flask.Flask("logcenter-gateway", static_folder=None)

    @app.route("/", defaults={"path": ""}, methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
    @app.route("/<path:path>", methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
    def route(path: str):
        request = flask.request
        if not _plausible_path(request.path):
            return error_response(NotFound(f"no route for {printable(request.path)}"))
        name = function_for(request.path)
        if name is not None:
            try:
                return load_function(name)(request)
            except NotFound as exc:
                return error_response(exc)
        if request.path == "/_/health":
            return json_response({"status": "ok", "function": "gateway"})
        # Only a browser's GET of a page falls back to the dashboard; anything else that
        # matched no function is an API call to a wrong URL and must not look accepted.
        if request.path.startswith(("/api/", "/function/")) or request.method not in ("GET", "HEAD"):
            return error_response(NotFound(f"no route for {request.method} {request.path}"))
        return _static(web_dist, path)

    @app.errorhandler(404)
    def unrouted(_exc):  # noqa: ANN001, ANN202
        # Flask's <path:path> does not match a path holding a newline (%0A): such a request
        # never reaches route() and would get Flask's HTML 404 page.
        return error_response(NotFound(f"no route for {printable(flask.request.path)}"))

    @app.errorhandler(Exception)
    def unexpected(exc):  # noqa: ANN001, ANN202
        # Whatever escapes a handler is still a JSON answer, and the log line names the path
        # escaped: Flask's own handler answers an HTML page and logs the raw path (NUL and all).
        if isinstance(exc, ApiError):
            return error_response(exc)
        log.error("unhandled error in %s %s", flask.request.method, printable(flask.request.path),
                  exc_info=exc)
        error = ApiError("internal error; the server log has details")
        error.status, error.code = 500, "internal_error"
        return error_response(error)

    return app


def _plausible_path(path: str) -> bool:
    """A path that could name a file or a route: no control characters (a NUL makes every
    file-system call raise), no segment longer than a file name can be, not longer than a path."""
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH:
        return False
    if any(not ch.isprintable() for ch in path):
        return False
    return all(len(segment.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT for segment in path.split("/"))


def _static(web_dist: Path, path: str) -> flask.Response:
    index = web_dist / "index.html"
    if not index.exists():
        return json_response({"message": "the dashboard is not built; run `make web` (make dev does)",
                              "api": [p for p, _ in API_ROUTES]})
    try:
        candidate = (web_dist / path).resolve()
        is_file = candidate.is_file()
    except (OSError, ValueError):  # a name the file system refuses (too long for it, a loop)
        return error_response(NotFound(f"no file {printable(path)}"))
    if path and is_file and web_dist.resolve() in candidate.parents:
        response = flask.send_file(candidate)
        if "/assets/" in f"/{path}":
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if Path(path).suffix and path.split("/")[0] == "assets":
        return error_response(NotFound(f"no file {path}"))
    response = flask.send_file(index)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _warn_if_open(host: str) -> None:
    settings = get_settings()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and (not settings.api_tokens or not settings.ingest_tokens):
        log.warning("binding %s without LOGCENTER_API_TOKEN / LOGCENTER_INGEST_TOKEN: "
                    "anyone who can reach this port can read and change bugs", host)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _warn_if_open(args.host)
    from shared.db.engine import get_engine

    get_engine()  # create or upgrade the schema before the first request
    from shared.alerts.worker import NotifyWorker

    # Alerts: delivered from a background thread, poked by reports and sweeping on an interval.
    NotifyWorker(get_settings().notify_sweep_seconds, f"http://{args.host}:{args.port}").start()
    log.info("Log Center on http://%s:%d/ (database: %s)", args.host, args.port,
             get_settings().database_url.split("@")[-1])
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_app(), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
