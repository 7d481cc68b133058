"""Fixtures for the pod scanner: a Kubernetes API (kmock over HTTP) and scan helpers."""

from __future__ import annotations

import pytest
import requests

from functions.pod_scanner import podscan
from functions.pod_scanner.podscan.report import Reporter
from tests.pod_scanner import pods as P
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi


@pytest.fixture
def cluster():
    return FakeCluster()


@pytest.fixture
def kube_api(cluster):
    with KubeApi(cluster) as api:
        yield api


@pytest.fixture
def run_scan(kube_api):
    """run_scan(config) -> summary: one scan with the real client against the mock, at pods.NOW."""
    clients = []

    def run(config: podscan.ScanConfig, now=P.NOW) -> dict:
        client = kube_api.api_client(config.concurrency)
        clients.append(client)
        reporter = Reporter(config)
        try:
            return podscan.scan(config, podscan.Kube(client, timeout=5), reporter, now=now)
        finally:
            reporter.close()

    yield run
    for client in clients:
        client.close()


def deployment_bugs(base_url: str) -> dict[str, dict]:
    """Deployment bugs in a live Log Center keyed by 'namespace/deployment_name/error_type'."""
    r = requests.get(f"{base_url}/api/v1/bugs", params={"source": "deployment", "page_size": 200}, timeout=10)
    assert r.status_code == 200, r.text
    return {f"{b['context']['namespace']}/{b['context']['deployment_name']}/{b['error_type']}": b
            for b in r.json()["items"]}
