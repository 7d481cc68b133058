"""All configuration, read in one place.

Values come from environment variables; secrets may instead come from files
(OpenFaaS mounts them under /var/openfaas/secrets/<name>, Kubernetes wherever the
manifest says). For a secret NAME the lookup order is: env NAME, the file named by
env NAME_FILE, then <LOGCENTER_SECRETS_DIR>/<secret-name>.
"""

from __future__ import annotations

import functools
import os
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
        )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
