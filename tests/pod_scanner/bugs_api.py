"""Reading what the scanner reported back out of a live Log Center."""

from __future__ import annotations

import requests


def deployment_bugs(base_url: str) -> dict[str, dict]:
    """Deployment bugs in a live Log Center keyed by 'namespace/deployment_name/error_type', each
    whole (the list carries summaries: no log tail; the detail is the bug as stored)."""
    r = requests.get(f"{base_url}/api/v1/bugs", params={"source": "deployment", "page_size": 200}, timeout=10)
    assert r.status_code == 200, r.text
    whole = []
    for item in r.json()["items"]:
        detail = requests.get(f"{base_url}/api/v1/bugs/{item['id']}", timeout=10)
        assert detail.status_code == 200, detail.text
        whole.append(detail.json())
    return {f"{b['context']['namespace']}/{b['context']['deployment_name']}/{b['error_type']}": b for b in whole}
