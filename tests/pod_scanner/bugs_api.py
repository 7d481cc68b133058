"""Reading what the scanner reported back out of a live Log Center."""

from __future__ import annotations

import requests


def deployment_bugs(base_url: str) -> dict[str, dict]:
    """Deployment bugs in a live Log Center, whole (the detail: lists carry only summaries),
    keyed by 'namespace/deployment_name/error_type'."""
    r = requests.get(f"{base_url}/api/v1/bugs", params={"source": "deployment", "page_size": 200}, timeout=10)
    assert r.status_code == 200, r.text
    bugs = {}
    for item in r.json()["items"]:
        detail = requests.get(f"{base_url}/api/v1/bugs/{item['id']}", timeout=10)
        assert detail.status_code == 200, detail.text
        bug = detail.json()
        # the list's summary agrees with the detail on what it carries
        assert {k: bug["context"].get(k) for k in item["context"]} == item["context"]
        bugs[f"{bug['context']['namespace']}/{bug['context']['deployment_name']}/{bug['error_type']}"] = bug
    return bugs
