"""The ingest hot path's PostgreSQL connections send each statement at once (TCP_NODELAY)."""

import socket

from shared.db import driver


def test_postgresql_connections_disable_nagle(pg_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    from shared.settings import reset_settings

    reset_settings()
    conn = driver.get_pool(pg_url).get()
    try:
        sock = conn.raw._usock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert conn.execute("SELECT 1").scalar() == 1
    finally:
        conn.close()
        driver.close_all()
