"""Every setting the repair agent reads from the environment, in one place.

LOG_CENTER_URL      base URL of Log Center (default http://127.0.0.1:8080, what `make dev` serves)
LOG_CENTER_TOKEN    API token, sent as `Authorization: Bearer …` (optional; needed when the server
                    has LOGCENTER_API_TOKEN(S) set). The server records its name as the actor.
LOG_CENTER_TIMEOUT  seconds to wait for one HTTP answer (default 10)
REPAIR_COMMAND      shell command `run` hands each claimed bug to (see docs/repair-agent.md)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_HTTP_TIMEOUT = 10.0


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Config:
    url: str = DEFAULT_URL
    token: str | None = field(default=None, repr=False)
    http_timeout: float = DEFAULT_HTTP_TIMEOUT
    repair_command: str | None = None


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    url = (env.get("LOG_CENTER_URL") or DEFAULT_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"LOG_CENTER_URL must be an http(s) URL such as {DEFAULT_URL}, not {url!r}")
    token = (env.get("LOG_CENTER_TOKEN") or "").strip() or None
    raw_timeout = (env.get("LOG_CENTER_TIMEOUT") or "").strip()
    timeout = _positive_float("LOG_CENTER_TIMEOUT", raw_timeout) if raw_timeout else DEFAULT_HTTP_TIMEOUT
    command = (env.get("REPAIR_COMMAND") or "").strip() or None
    return Config(url=url, token=token, http_timeout=timeout, repair_command=command)
