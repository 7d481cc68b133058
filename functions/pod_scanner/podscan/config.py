"""Every setting of the pod scanner, read in one place (`ScanConfig.from_env()`).

| variable | default | meaning |
|---|---|---|
| `NAMESPACES` | empty = all | comma list of namespaces to scan |
| `LOG_CENTER_URL` | `http://127.0.0.1:8080` | base URL; reports go to `<url>/api/v1/logs/report` |
| `LOG_CENTER_TOKEN` | none | ingest token; also `LOG_CENTER_TOKEN_FILE`, or the OpenFaaS secret `logcenter-ingest-token` |
| `PROJECT_LABEL` | `app` | pod label naming the project (`rtc-backend` becomes `rtc_backend`) |
| `PROJECT_MAP` | empty | explicit `label-value=project_id` pairs, comma separated; wins over the rule above |
| `DEFAULT_PROJECT` | empty | project for pods without the label (empty: the workload name) |
| `LOG_TAIL_LINES` | 100 | lines of container log sent as `log_tail` |
| `LOG_LIMIT_BYTES` | 65536 | at most this many bytes of log per container |
| `IMAGE_PULL_GRACE_SECONDS` | 180 | ImagePullBackOff/ErrImagePull are reported only for pods older than this |
| `UNSCHEDULABLE_GRACE_SECONDS` | 300 | Unschedulable is reported only after the pod has been unschedulable this long |
| `SCAN_CONCURRENCY` | 8 | log fetches + reports in flight at once |
| `PAGE_SIZE` | 500 | pods per list request (`limit`/`continue` paging) |
| `KUBE_TIMEOUT_SECONDS` | 30 | per Kubernetes API request |
| `REPORT_TIMEOUT_SECONDS` | 10 | per report to Log Center |
| `ENVIRONMENT` | empty | sent as the report's `environment` when set |

Secrets follow the same order as `shared.settings`: env value, then the file named by
`<NAME>_FILE`, then `<LOGCENTER_SECRETS_DIR or /var/openfaas/secrets>/<secret-name>`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

# shared/ is copied into every function image (stack.yml), so the scanner reads secrets
# and numbers exactly as the other functions do.
from shared.core.limits import PROJECT_ID_PATTERN
from shared.settings import ConfigError, read_number, read_secret

TOKEN_SECRET_NAME = "logcenter-ingest-token"
_PROJECT_ID = re.compile(PROJECT_ID_PATTERN)


def _number(env: dict[str, str], name: str, default, minimum, kind=int):  # noqa: ANN001, ANN202
    return read_number(name, default, minimum, kind, env=env)


def _project_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        label, sep, project = item.partition("=")
        label, project = label.strip(), project.strip()
        if not sep or not label or not project:
            raise ConfigError("PROJECT_MAP looks like label-value=project_id,other=project2")
        if not _PROJECT_ID.fullmatch(project):
            raise ConfigError(f"PROJECT_MAP: {project!r} is not a valid project_id")
        mapping[label] = project
    return mapping


@dataclass(frozen=True)
class ScanConfig:
    namespaces: tuple[str, ...] = ()
    log_center_url: str = "http://127.0.0.1:8080"
    log_center_token: str | None = field(default=None, repr=False)
    project_label: str = "app"
    project_map: dict[str, str] = field(default_factory=dict)
    default_project: str | None = None
    log_tail_lines: int = 100
    log_limit_bytes: int = 65536
    image_pull_grace_seconds: float = 180
    unschedulable_grace_seconds: float = 300
    concurrency: int = 8
    page_size: int = 500
    kube_timeout: float = 30
    report_timeout: float = 10
    environment: str | None = None

    @property
    def report_url(self) -> str:
        return self.log_center_url.rstrip("/") + "/api/v1/logs/report"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "ScanConfig":
        env = dict(os.environ if env is None else env)
        namespaces = tuple(dict.fromkeys(n.strip() for n in env.get("NAMESPACES", "").split(",") if n.strip()))
        url = env.get("LOG_CENTER_URL", "").strip() or cls.log_center_url
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"LOG_CENTER_URL must start with http:// or https://, got {url!r}")
        default_project = env.get("DEFAULT_PROJECT", "").strip() or None
        if default_project and not _PROJECT_ID.fullmatch(default_project):
            raise ConfigError(f"DEFAULT_PROJECT {default_project!r} is not a valid project_id")
        return cls(
            namespaces=namespaces,
            log_center_url=url,
            log_center_token=read_secret("LOG_CENTER_TOKEN", TOKEN_SECRET_NAME, env),
            project_label=env.get("PROJECT_LABEL", "").strip() or "app",
            project_map=_project_map(env.get("PROJECT_MAP", "")),
            default_project=default_project,
            log_tail_lines=_number(env, "LOG_TAIL_LINES", 100, 1),
            log_limit_bytes=_number(env, "LOG_LIMIT_BYTES", 65536, 1024),
            image_pull_grace_seconds=_number(env, "IMAGE_PULL_GRACE_SECONDS", 180.0, 0, float),
            unschedulable_grace_seconds=_number(env, "UNSCHEDULABLE_GRACE_SECONDS", 300.0, 0, float),
            concurrency=_number(env, "SCAN_CONCURRENCY", 8, 1),
            page_size=_number(env, "PAGE_SIZE", 500, 1),
            kube_timeout=_number(env, "KUBE_TIMEOUT_SECONDS", 30.0, 0.1, float),
            report_timeout=_number(env, "REPORT_TIMEOUT_SECONDS", 10.0, 0.1, float),
            environment=env.get("ENVIRONMENT", "").strip() or None,
        )
