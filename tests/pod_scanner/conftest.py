"""Fixtures for the pod scanner: a Kubernetes API (kmock over HTTP) and scan helpers."""

from __future__ import annotations

import pytest

from functions.pod_scanner import podscan
from functions.pod_scanner.podscan.report import Reporter
from tests.pod_scanner import pods as P
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi


SCANNER_ENV = ("NAMESPACES", "LOG_CENTER_URL", "LOG_CENTER_TOKEN", "LOG_CENTER_TOKEN_FILE", "PROJECT_LABEL",
               "PROJECT_MAP", "DEFAULT_PROJECT", "LOG_TAIL_LINES", "LOG_LIMIT_BYTES", "IMAGE_PULL_GRACE_SECONDS",
               "UNSCHEDULABLE_GRACE_SECONDS", "SCAN_CONCURRENCY", "PAGE_SIZE", "KUBE_TIMEOUT_SECONDS",
               "REPORT_TIMEOUT_SECONDS", "ENVIRONMENT", "KUBECONFIG", "KUBERNETES_SERVICE_HOST",
               "KUBERNETES_SERVICE_PORT")


@pytest.fixture(autouse=True)
def scanner_env(monkeypatch):
    """No scanner setting or cluster access leaks in from the developer's shell (or a CI pod)."""
    for name in SCANNER_ENV:
        monkeypatch.delenv(name, raising=False)


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

