"""Every setting the repair agent reads from the environment, in one place.

LOG_CENTER_URL      base URL of Log Center (default http://127.0.0.1:8080, what `make dev` serves)
LOG_CENTER_TOKEN    API token, sent as `Authorization: Bearer …` (optional; needed when the server
                    has LOGCENTER_API_TOKEN(S) set). The server records its name as the actor.
LOG_CENTER_TIMEOUT  seconds to wait for one HTTP answer (default 10)
REPAIR_COMMAND      shell command `run` hands each claimed bug to (see docs/repair-agent.md)
REPAIR_COMMAND_ENV  comma list of more environment variables REPAIR_COMMAND gets (e.g. the fixer's
                    own API key); by default it gets only PATH, HOME, locale and the LOG_CENTER_BUG_*
                    variables, never LOG_CENTER_TOKEN
"""

from __future__ import annotations

import os
import re
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
    repair_command_env: tuple[str, ...] = ()


# What a token can be: printable ASCII without spaces (it goes into an HTTP header, which
# cannot carry `…` or any other non-Latin-1 character).
_TOKEN = re.compile(r"[!-~]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Never handed to the repair command, whatever REPAIR_COMMAND_ENV says: it reads bug text that
# anyone with the ingest token wrote (a prompt-injection path when the fixer is an LLM).
NEVER_PASSED = ("LOG_CENTER_TOKEN",)


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
    if token is not None and (not _TOKEN.fullmatch(token) or set(token) <= {"."}):
        example = "a placeholder copied from the docs?" if "\u2026" in token or "..." in token else \
            "it may hold only printable ASCII characters, no spaces"
        raise ConfigError(f"LOG_CENTER_TOKEN is not a token ({example}); set it to the token value itself, "
                          f"e.g. the part after `agent=` in the server's LOGCENTER_API_TOKENS")
    raw_timeout = (env.get("LOG_CENTER_TIMEOUT") or "").strip()
    timeout = _positive_float("LOG_CENTER_TIMEOUT", raw_timeout) if raw_timeout else DEFAULT_HTTP_TIMEOUT
    command = (env.get("REPAIR_COMMAND") or "").strip() or None
    passed = tuple(n.strip() for n in (env.get("REPAIR_COMMAND_ENV") or "").split(",") if n.strip())
    for name in passed:
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"REPAIR_COMMAND_ENV must be a comma list of variable names, not {name!r}")
        if name in NEVER_PASSED:
            raise ConfigError(f"REPAIR_COMMAND_ENV names {name}: the repair command reads text anyone with the "
                              f"ingest token wrote, so it never gets Log Center's API token")
    return Config(url=url, token=token, http_timeout=timeout, repair_command=command, repair_command_env=passed)
