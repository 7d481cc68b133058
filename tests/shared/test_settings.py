import pytest

from shared.settings import ConfigError, Settings


def test_defaults(monkeypatch):
    s = Settings.from_env()
    assert s.database_url == "sqlite:///data/logcenter.db"
    assert s.max_body_bytes == 1024 * 1024 and s.timezone_name == "UTC"
    assert s.api_tokens == {} and s.ingest_tokens == {}


def test_secrets_come_from_files(monkeypatch, tmp_path):
    (tmp_path / "logcenter-api-token").write_text("s3cret\n")
    (tmp_path / "logcenter-database-url").write_text("postgresql+pg8000://u:p@db/logcenter\n")
    monkeypatch.setenv("LOGCENTER_SECRETS_DIR", str(tmp_path))
    s = Settings.from_env()
    assert s.api_tokens == {"s3cret": "api"}
    assert s.database_url == "postgresql+pg8000://u:p@db/logcenter"


def test_env_wins_over_file_and_FILE_variant(monkeypatch, tmp_path):
    token_file = tmp_path / "tok"
    token_file.write_text("from-file")
    monkeypatch.setenv("LOGCENTER_INGEST_TOKEN_FILE", str(token_file))
    assert Settings.from_env().ingest_tokens == {"from-file": "ingest"}
    monkeypatch.setenv("LOGCENTER_INGEST_TOKEN", "from-env")
    assert Settings.from_env().ingest_tokens == {"from-env": "ingest"}


def test_named_tokens(monkeypatch):
    monkeypatch.setenv("LOGCENTER_API_TOKENS", "agent=t1, alice=t2")
    assert Settings.from_env().api_tokens == {"t1": "agent", "t2": "alice"}


def test_tokens_are_not_in_repr(monkeypatch):
    monkeypatch.setenv("LOGCENTER_API_TOKEN", "very-secret-value")
    assert "very-secret-value" not in repr(Settings.from_env())


@pytest.mark.parametrize("name, value", [("LOGCENTER_TIMEZONE", "Mars/Base"), ("LOGCENTER_MAX_BODY_BYTES", "lots"),
                                          ("LOGCENTER_MAX_BODY_BYTES", "0"), ("LOGCENTER_API_TOKENS", "justatoken")])
def test_bad_values_fail_clearly(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        Settings.from_env()


def test_wave_two_defaults(monkeypatch):
    s = Settings.from_env()
    assert s.public_url is None and s.occurrences_per_bug == 50 and s.sentry_events_per_minute == 0
    assert (s.notify_sweep_seconds, s.notify_lease_seconds, s.notify_retry_seconds, s.notify_per_minute) == \
        (10, 60, 30, 20)
    assert (s.retention_days, s.resolved_retention_days) == (90, 180)


@pytest.mark.parametrize("raw, expected", [("https://logs.example.com/", "https://logs.example.com"),
                                           ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
                                           ("https://example.com/logcenter", "https://example.com/logcenter")])
def test_public_url(monkeypatch, raw, expected):
    monkeypatch.setenv("LOGCENTER_PUBLIC_URL", raw)
    assert Settings.from_env().public_url == expected


@pytest.mark.parametrize("raw", ["logs.example.com", "ftp://x", "https://u:p@x.example", "https://x/?a=1"])
def test_bad_public_url_fails_clearly(monkeypatch, raw):
    monkeypatch.setenv("LOGCENTER_PUBLIC_URL", raw)
    with pytest.raises(ConfigError, match="LOGCENTER_PUBLIC_URL"):
        Settings.from_env()
