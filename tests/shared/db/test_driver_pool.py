"""The ingest hot path's pool keeps a connection per server thread: under full concurrency
no request opens (and closes) a connection of its own."""

import threading

import pytest

from shared.db import driver
from shared.settings import reset_settings


@pytest.mark.parametrize("threads, pool_size, kept", [(16, 2, 16), (4, 8, 8)])
def test_the_pool_keeps_the_larger_of_its_size_and_the_server_threads(db_url, monkeypatch, threads, pool_size,
                                                                        kept):
    """16 threads with a pool of 2 used to keep 2 and open 14 connections per round."""
    monkeypatch.setenv("THREADS", str(threads))
    monkeypatch.setenv("LOGCENTER_DB_POOL_SIZE", str(pool_size))
    reset_settings()
    driver.close_all()
    pool = driver.get_pool(db_url)
    opened = []
    real_new = pool._new
    monkeypatch.setattr(pool, "_new", lambda: opened.append(1) or real_new())
    all_in = threading.Barrier(max(threads, pool_size))

    def one_round() -> None:
        def hold() -> None:
            conn = pool.get()
            all_in.wait(10)  # every thread holds its own connection at the same time
            assert conn.execute("SELECT 1").scalar() == 1
            pool.put(conn)

        workers = [threading.Thread(target=hold) for _ in range(max(threads, pool_size))]
        for w in workers:
            w.start()
        for w in workers:
            w.join(20)

    try:
        one_round()
        assert len(opened) == max(threads, pool_size) and len(pool._idle) == kept
        one_round()
        assert len(opened) == max(threads, pool_size)  # the second round reused every one
    finally:
        driver.close_all()
