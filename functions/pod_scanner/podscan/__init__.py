"""The pod scanner: finds broken pods in a K3s/Kubernetes cluster and reports them to
Log Center as `source: deployment` bugs. See scan.py (the flow), detect.py (the rules),
workload.py (deployment_name and project), kube.py (the API calls), report.py, config.py.

This package lives inside functions/pod_scanner/ and imports itself (relatively), the
`shared` package (settings helpers; stack.yml copies it into every image), the standard
library, requests and — lazily — kubernetes. So it works both as
`functions.pod_scanner.podscan` in the repository and as the top-level `podscan` in the
function image, where functions/pod_scanner/ is the flat build context.
"""

from .config import ConfigError, ScanConfig
from . import rbac
from .kube import API_CALLS, Kube, KubeError, load_api_client
from .scan import ScanFailed, exit_code, run_scan, scan

__all__ = ["API_CALLS", "ConfigError", "rbac", "Kube", "KubeError", "ScanConfig", "ScanFailed",
           "exit_code", "load_api_client", "run_scan", "scan"]
