import pytest

from shared.settings import reset_settings


@pytest.fixture
def with_env(monkeypatch):
    """Set environment variables and forget the cached settings."""
    def apply(**values):
        for k, v in values.items():
            monkeypatch.setenv(k, v)
        reset_settings()

    return apply
