"""Where a DSN key comes from, and that the check tells 401 from 403 (both databases)."""

import flask
import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from shared.http.errors import ApiError
from shared.sentry.auth import check_key, key_from_dsn, presented_key

app = flask.Flask(__name__)


def request(path="/", headers=None):
    with app.test_request_context(path, headers=headers or {}):
        return presented_key(flask.request)


def test_key_sources_in_order():
    assert request("/?sentry_key=q", {"X-Sentry-Auth": "Sentry sentry_key=h"}) == "q"
    assert request(headers={"X-Sentry-Auth": "Sentry sentry_version=7,sentry_key=h , sentry_client=x/1"}) == "h"
    assert request(headers={"Authorization": "Sentry sentry_key=a, sentry_version=7"}) == "a"
    assert request(headers={"Authorization": "Bearer token"}) is None
    assert request(headers={"X-Sentry-Auth": "Sentry sentry_version=7"}) is None
    assert key_from_dsn("https://abc@o1.example/42") == "abc"
    assert key_from_dsn("https://o1.example/42") is None and key_from_dsn(5) is None


def test_check(db_url):
    with get_engine().begin() as conn:
        conn.execute(text("INSERT INTO project (id, project_id, public_key, created_at) "
                          "VALUES (3, 'shop', :k, CURRENT_TIMESTAMP)"), {"k": "a" * 32})
    assert check_key(3, "a" * 32) == "shop"
    for sentry_id, key, status in ((3, None, 401), (3, "b" * 32, 403), (3, "a" * 31, 403), (4, "a" * 32, 403),
                                   (3, "ä", 403)):
        with pytest.raises(ApiError) as exc:
            check_key(sentry_id, key)
        assert exc.value.status == status
