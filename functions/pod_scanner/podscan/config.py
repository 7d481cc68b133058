"""Every setting of the pod scanner (`ScanConfig.from_env()`, read by shared/settings.py).

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
| `LOOKBACK_SECONDS` | 900 | a running container's last termination is reported only if it finished this recently (three scan intervals) |
| `INIT_GRACE_SECONDS` | 600 | a pod still initialising this long after it started is `InitStuck` (WARNING) |
| `READY_GRACE_SECONDS` | 600 | a running pod not Ready for this long is `NotReady` (WARNING) |
| `SCAN_CONCURRENCY` | 8 | log fetches + reports in flight at once |
| `PAGE_SIZE` | 500 | pods per list request (`limit`/`continue` paging) |
| `KUBE_TIMEOUT_SECONDS` | 30 | per Kubernetes API request |
| `REPORT_TIMEOUT_SECONDS` | 10 | per report to Log Center |
| `ENVIRONMENT` | empty | sent as the report's `environment` when set |

Secrets follow the same order as `shared.settings`: env value, then the file named by
`<NAME>_FILE`, then `<LOGCENTER_SECRETS_DIR or /var/openfaas/secrets>/<secret-name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Read in shared/settings.py, the one place settings are read (shared/ is copied into every
# function image by stack.yml), so secrets and numbers follow the same rules as elsewhere.
from shared.settings import SCANNER_TOKEN_SECRET as TOKEN_SECRET_NAME
from shared.settings import ConfigError, scanner_settings

__all__ = ["ConfigError", "ScanConfig", "TOKEN_SECRET_NAME"]


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
    lookback_seconds: float = 900
    init_grace_seconds: float = 600
    ready_grace_seconds: float = 600
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
        return cls(**scanner_settings(env))
