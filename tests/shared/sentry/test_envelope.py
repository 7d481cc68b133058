"""Envelope framing: lengths, no lengths, blank lines, and what is malformed."""

import pytest

from shared.http.errors import ApiError
from shared.sentry.envelope import parse, parse_header


def test_items_with_and_without_length():
    data = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1"}\n'
            b'{"type":"attachment","length":10,"filename":"a.txt"}\n\xef\xbb\xbfHello\r\n\n'
            b'{"type":"event","length":41,"content_type":"application/json"}\n'
            b'{"message":"hello world","level":"error"}\n'
            b'{"type":"session"}\n{"started":"2020-02-07T14:16:00Z"}')
    env = parse(data)
    assert env.headers["dsn"] == "https://k@h/1"
    assert [(i.type, i.payload) for i in env.items] == [
        ("attachment", b"\xef\xbb\xbfHello\r\n"), ("event", b'{"message":"hello world","level":"error"}'),
        ("session", b'{"started":"2020-02-07T14:16:00Z"}')]
    assert env.items[0].headers["filename"] == "a.txt"


def test_empty_payloads_and_blank_lines():
    env = parse(b'{}\n{"type":"a","length":0}\n{"type":"b","length":0}\n\n{"type":"c"}\n\n')
    assert [(i.type, i.payload) for i in env.items] == [("a", b""), ("b", b""), ("c", b"")]
    assert parse(b"{}").items == [] and parse(b"{}\n").items == []


def test_header_only_is_cheap_and_checked():
    assert parse_header(b'{"dsn":"x"}\nanything at all') == {"dsn": "x"}
    with pytest.raises(ApiError):
        parse_header(b"[1]\n")


@pytest.mark.parametrize("data", [
    b"", b"\n", b"nope", b"[]", b'{}\n{"length":1}\nx', b'{}\n{"type":""}\n', b'{}\n{"type":3}\n',
    b'{}\n{"type":"a","length":5}\nabc', b'{}\n{"type":"a","length":true}\nabc', b'{}\n{"type":"a","length":1.5}\nx',
    b"{}\n\xff\n",
])
def test_malformed(data):
    with pytest.raises(ApiError) as exc:
        parse(data)
    assert exc.value.status == 400 and exc.value.code == "invalid_envelope"
