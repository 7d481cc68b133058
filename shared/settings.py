"""All configuration, read in one place.

Values come from environment variables; secrets may instead come from files
(OpenFaaS mounts them under /var/openfaas/secrets/<name>, Kubernetes wherever the
manifest says). For a secret NAME the lookup order is: env NAME, the file named by
env NAME_FILE, then <LOGCENTER_SECRETS_DIR>/<secret-name>.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Union
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"
Number = Union[int, float]


class ConfigError(RuntimeError):
    """A setting has a value the service cannot run with."""


def read_secret(env_name: str, file_name: str, env: Mapping[str, str] | None = None) -> str | None:
    """A secret: env NAME, else the file named by NAME_FILE, else <secrets dir>/<file_name>."""
    env = os.environ if env is None else env
    value = (env.get(env_name) or "").strip()
    if value:
        return value
    candidates = [Path(env[f"{env_name}_FILE"])] if env.get(f"{env_name}_FILE") else []
    candidates.append(Path(env.get("LOGCENTER_SECRETS_DIR") or DEFAULT_SECRETS_DIR) / file_name)
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if text:
            return text
    return None


def read_number(name: str, default: Number, minimum: Number, kind: type = int,
                env: Mapping[str, str] | None = None) -> Number:
    raw = ((os.environ if env is None else env).get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


def _parse_tokens(single: str | None, named: str | None, default_name: str) -> dict[str, str]:
    """Tokens as {token: name}. LOGCENTER_*_TOKENS holds `name=token,name2=token2`."""
    tokens: dict[str, str] = {}
    if single:
        tokens[single] = default_name
    for item in (named or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, token = item.partition("=")
        if not sep or not name.strip() or not token.strip():
            raise ConfigError("token lists look like name=token,name2=token2")
        tokens[token.strip()] = name.strip()
    return tokens


def _public_url(raw: str) -> str | None:
    """LOGCENTER_PUBLIC_URL: the dashboard's and API's public base (DSNs, alert links).
    Unset: each request's own scheme and host are used instead."""
    value = raw.strip().rstrip("/")
    if not value:
        return None
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment \
            or parsed.username or parsed.password:
        raise ConfigError(f"LOGCENTER_PUBLIC_URL must be an http(s) URL like https://logs.example.com, got {raw!r}")
    return value


def _http_url(name: str, raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone_name: str
    ingest_tokens: dict[str, str] = field(repr=False)
    api_tokens: dict[str, str] = field(repr=False)
    cors_origins: tuple[str, ...]
    max_body_bytes: int
    db_pool_size: int
    db_connect_timeout: int
    retry_after_seconds: int
    # The function server's threads (functions-framework's THREADS, same default): the
    # report and sentry functions keep that many connections so no request opens its own.
    server_threads: int = 8
    # Wave 2 (DESIGN.md): DSNs and alert links, occurrences, Sentry ingest, alerts, retention.
    public_url: str | None = None
    occurrences_per_bug: int = 50
    sentry_events_per_minute: int = 0
    notify_sweep_seconds: int = 10
    notify_lease_seconds: int = 60
    notify_retry_seconds: int = 30
    notify_per_minute: int = 20
    # Where the report function pokes `notify` after a report that produced an alert
    # (OpenFaaS: the gateway's /async-function/notify). Unset: no poke; the cron delivers.
    notify_url: str | None = None
    retention_days: int = 90
    resolved_retention_days: int = 180
    # After each batch the run sleeps this many times as long as the batch took: with 1 it
    # uses at most half of a core and of the database's write bandwidth (a daily job can
    # afford to take twice as long; ingest cannot afford to wait).
    retention_sleep_ratio: float = 1.0

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @classmethod
    def from_env(cls) -> "Settings":
        database_url = read_secret("DATABASE_URL", "logcenter-database-url") or "sqlite:///data/logcenter.db"
        tz_name = os.environ.get("LOGCENTER_TIMEZONE", "UTC").strip() or "UTC"
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"LOGCENTER_TIMEZONE {tz_name!r} is not an IANA zone name") from exc
        origins = tuple(
            o.strip() for o in os.environ.get("LOGCENTER_CORS_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=database_url,
            timezone_name=tz_name,
            ingest_tokens=_parse_tokens(
                read_secret("LOGCENTER_INGEST_TOKEN", "logcenter-ingest-token"),
                read_secret("LOGCENTER_INGEST_TOKENS", "logcenter-ingest-tokens"),
                "ingest",
            ),
            api_tokens=_parse_tokens(
                read_secret("LOGCENTER_API_TOKEN", "logcenter-api-token"),
                read_secret("LOGCENTER_API_TOKENS", "logcenter-api-tokens"),
                "api",
            ),
            cors_origins=origins,
            max_body_bytes=read_number("LOGCENTER_MAX_BODY_BYTES", 1024 * 1024, 1),
            db_pool_size=read_number("LOGCENTER_DB_POOL_SIZE", 5, 1),
            server_threads=read_number("THREADS", (os.cpu_count() or 1) * 4, 1),
            db_connect_timeout=read_number("LOGCENTER_DB_CONNECT_TIMEOUT", 5, 1),
            retry_after_seconds=read_number("LOGCENTER_RETRY_AFTER", 5, 1),
            public_url=_public_url(os.environ.get("LOGCENTER_PUBLIC_URL", "")),
            occurrences_per_bug=read_number("LOGCENTER_OCCURRENCES_PER_BUG", 50, 0),
            sentry_events_per_minute=read_number("LOGCENTER_SENTRY_EVENTS_PER_MINUTE", 0, 0),
            notify_sweep_seconds=read_number("LOGCENTER_NOTIFY_SWEEP_SECONDS", 10, 1),
            notify_lease_seconds=read_number("LOGCENTER_NOTIFY_LEASE_SECONDS", 60, 1),
            notify_retry_seconds=read_number("LOGCENTER_NOTIFY_RETRY_SECONDS", 30, 1),
            notify_per_minute=read_number("LOGCENTER_NOTIFY_PER_MINUTE", 20, 1),
            notify_url=_http_url("LOGCENTER_NOTIFY_URL", os.environ.get("LOGCENTER_NOTIFY_URL", "")),
            retention_days=read_number("LOGCENTER_RETENTION_DAYS", 90, 1),
            resolved_retention_days=read_number("LOGCENTER_RESOLVED_RETENTION_DAYS", 180, 1),
            retention_sleep_ratio=read_number("LOGCENTER_RETENTION_SLEEP_RATIO", 1.0, 0.0, float),
        )


# ---------------------------------------------------------------- the pod scanner
# The scanner runs as its own process (CronJob) or function, with its own variables (no
# LOGCENTER_ prefix: they describe the cluster side). podscan.ScanConfig.from_env() is built
# from this; functions/pod_scanner/podscan/config.py documents each variable.
SCANNER_TOKEN_SECRET = "logcenter-ingest-token"


def _scanner_project_map(raw: str, project_id: re.Pattern) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        label, sep, project = item.partition("=")
        label, project = label.strip(), project.strip()
        if not sep or not label or not project:
            raise ConfigError("PROJECT_MAP looks like label-value=project_id,other=project2")
        if not project_id.fullmatch(project):
            raise ConfigError(f"PROJECT_MAP: {project!r} is not a valid project_id")
        mapping[label] = project
    return mapping


def scanner_settings(env: Mapping[str, str] | None = None) -> dict:
    """The pod scanner's settings as keyword arguments of podscan.ScanConfig."""
    from shared.core.limits import PROJECT_ID_PATTERN

    env = dict(os.environ if env is None else env)
    project_id = re.compile(PROJECT_ID_PATTERN)
    namespaces = tuple(dict.fromkeys(n.strip() for n in env.get("NAMESPACES", "").split(",") if n.strip()))
    url = env.get("LOG_CENTER_URL", "").strip() or "http://127.0.0.1:8080"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"LOG_CENTER_URL must start with http:// or https://, got {url!r}")
    default_project = env.get("DEFAULT_PROJECT", "").strip() or None
    if default_project and not project_id.fullmatch(default_project):
        raise ConfigError(f"DEFAULT_PROJECT {default_project!r} is not a valid project_id")

    def number(name: str, default: Number, minimum: Number, kind: type = int) -> Number:
        return read_number(name, default, minimum, kind, env=env)

    return dict(
        namespaces=namespaces,
        log_center_url=url,
        log_center_token=read_secret("LOG_CENTER_TOKEN", SCANNER_TOKEN_SECRET, env),
        project_label=env.get("PROJECT_LABEL", "").strip() or "app",
        project_map=_scanner_project_map(env.get("PROJECT_MAP", ""), project_id),
        default_project=default_project,
        log_tail_lines=number("LOG_TAIL_LINES", 100, 1),
        log_limit_bytes=number("LOG_LIMIT_BYTES", 65536, 1024),
        image_pull_grace_seconds=number("IMAGE_PULL_GRACE_SECONDS", 180.0, 0, float),
        unschedulable_grace_seconds=number("UNSCHEDULABLE_GRACE_SECONDS", 300.0, 0, float),
        lookback_seconds=number("LOOKBACK_SECONDS", 900.0, 0, float),
        init_grace_seconds=number("INIT_GRACE_SECONDS", 600.0, 0, float),
        ready_grace_seconds=number("READY_GRACE_SECONDS", 600.0, 0, float),
        concurrency=number("SCAN_CONCURRENCY", 8, 1),
        page_size=number("PAGE_SIZE", 500, 1),
        kube_timeout=number("KUBE_TIMEOUT_SECONDS", 30.0, 0.1, float),
        report_timeout=number("REPORT_TIMEOUT_SECONDS", 10.0, 0.1, float),
        environment=env.get("ENVIRONMENT", "").strip() or None,
    )


# ---------------------------------------------------------------- the cron trigger
# `python -m shared.trigger` (k8s/triggers.yaml, the Knative CronJobs): cron-connector and
# PingSource cannot send an Authorization header, so scheduled functions whose route needs
# the API token are started by a CronJob that reads the token from the same Secret.
def trigger_settings(env: Mapping[str, str] | None = None) -> dict:
    env = dict(os.environ if env is None else env)
    url = (env.get("TRIGGER_URL") or "").strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"TRIGGER_URL must be the function's http(s) URL, got {url!r}")
    return dict(
        url=url,
        token=read_secret("LOG_CENTER_API_TOKEN", "logcenter-api-token", env),
        timeout=read_number("TRIGGER_TIMEOUT_SECONDS", 900.0, 1, float, env=env),
        attempts=read_number("TRIGGER_ATTEMPTS", 3, 1, env=env),
        retry_delay=read_number("TRIGGER_RETRY_SECONDS", 5.0, 0, float, env=env),
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
