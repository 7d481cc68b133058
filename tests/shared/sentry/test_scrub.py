"""Secret-looking keys and URL parameters are filtered on the server."""

import pytest

from shared.sentry.scrub import FILTERED, is_secret_key, scrub, scrub_url


@pytest.mark.parametrize("key", ["password", "db_PASSWD", "client_secret", "csrf_token", "api_key", "X-Api-Key",
                                 "apikey", "Authorization", "cookie", "sessionid", "credit_card", "creditCard",
                                 "card_number", "private_key"])
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["user", "order_id", "path", "author", "count"])
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_scrub_walks_mappings_lists_and_pairs():
    value = {"a": {"password": "p", "list": [{"token": "t"}, ["Cookie", "c=1"], ["x", "y"]]}, "empty_secret": ""}
    assert scrub(value) == {"a": {"password": FILTERED, "list": [{"token": FILTERED}, ["Cookie", FILTERED],
                                                                  ["x", "y"]]}, "empty_secret": ""}


def test_urls():
    assert scrub_url("https://u:pw@shop.example/p?q=1&api_key=k&token=") == \
        "https://shop.example/p?q=1&api_key=[Filtered]&token=[Filtered]"
    assert scrub_url("/relative") == "/relative" and scrub_url(None) is None
