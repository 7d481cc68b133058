"""Fixtures for the CI reporter tests (helpers are in reporter_support.py)."""

from __future__ import annotations

import pytest

from tests.support.gateway import LiveGateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """One gateway (fresh SQLite) for a whole test module."""
    tmp = tmp_path_factory.mktemp("ci_gateway")
    gw = LiveGateway(f"sqlite:///{tmp / 'logcenter.db'}", log_path=tmp / "gateway.log").start()
    yield gw
    gw.stop()
