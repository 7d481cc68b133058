import pg8000.dbapi
import pg8000.legacy

from shared.db.engine import _memoize_pg8000_paramstyle, get_engine


def test_memoized_paramstyle_gives_the_same_statements(db_url):
    _memoize_pg8000_paramstyle()
    patched = pg8000.legacy.convert_paramstyle
    assert patched is not pg8000.dbapi.convert_paramstyle
    for query, args in [("SELECT %s, '%%s', \"a%%\" FROM t WHERE x = %s", (1, 2)),
                        ("INSERT INTO t VALUES (%s) -- %s in a comment\n", ("v",)),
                        ("SELECT $$%s$$, %s", (3,))]:
        for _ in range(2):  # cold, then cached
            assert patched("format", query, args) == pg8000.dbapi.convert_paramstyle("format", query, args)
    assert patched("named", "SELECT :a", {"a": 1}) == pg8000.dbapi.convert_paramstyle("named", "SELECT :a", {"a": 1})


def test_engine_is_reused_across_invocations(db_url):
    assert get_engine() is get_engine()
    assert get_engine().pool._pre_ping
