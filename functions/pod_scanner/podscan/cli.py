"""`python -m podscan` (in the image) / `python -m functions.pod_scanner` (in the repo).

One scan, the JSON summary on stdout, and an exit status a CronJob can act on:
0 — every problem reported (or none found); 1 — some reports failed (Log Center down or
refusing); 2 — no scan possible (bad configuration, no Kubernetes access).

`python -m podscan rbac [SERVICE_ACCOUNT_NAMESPACE [SERVICE_ACCOUNT]]` prints the RBAC the
scanner needs for the NAMESPACES set in the environment (a Role per namespace, or one
ClusterRole when NAMESPACES is empty), for `kubectl apply -f -`.
"""

from __future__ import annotations

import json
import logging
import sys

from .config import ConfigError, ScanConfig
from .scan import ScanFailed, exit_code, run_scan


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if args and args[0] == "rbac":
        from .rbac import manifests, render

        try:
            config = ScanConfig.from_env()
        except ConfigError as exc:
            print(f"podscan: {exc}", file=sys.stderr)
            return 2
        print(render(manifests(config.namespaces, *args[1:3])), end="")
        return 0
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = ScanConfig.from_env()
        summary = run_scan(config)
    except (ConfigError, ScanFailed) as exc:
        print(json.dumps({"error": {"code": "scan_failed", "message": str(exc)}}))
        return 2
    print(json.dumps(summary, ensure_ascii=False))
    return exit_code(summary)
