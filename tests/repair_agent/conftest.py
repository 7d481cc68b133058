"""Fixtures for the repair agent tests (helpers are in agent_support.py)."""

from __future__ import annotations

import pytest

from tests.repair_agent.agent_support import Api


@pytest.fixture
def gateway(live_gateway):
    return live_gateway()


@pytest.fixture
def api(gateway):
    return Api(gateway.url)
