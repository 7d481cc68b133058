"""Inflating bodies in bounded steps: every encoding SDKs use, bombs and broken streams."""

import gzip
import zlib

import brotli
import pytest

from shared.http.errors import ApiError
from shared.sentry.decode import inflate

DATA = b"{}\n" + b"x" * 3_000_000 + b"\n"
ENCODERS = {"gzip": gzip.compress, "deflate-zlib": zlib.compress, "deflate-raw": lambda b: zlib.compress(b)[2:-4],
            "br": brotli.compress}


def encoding_of(name):
    return name.split("-")[0]


@pytest.mark.parametrize("name", ENCODERS)
def test_round_trip_and_limits(name):
    raw = ENCODERS[name](DATA)
    assert inflate(raw, encoding_of(name), len(DATA)) == DATA
    with pytest.raises(ApiError) as over:
        inflate(raw, encoding_of(name), len(DATA) - 1)
    assert over.value.status == 413
    with pytest.raises(ApiError) as cut:
        inflate(raw[: len(raw) // 2], encoding_of(name), len(DATA))
    assert cut.value.status == 400


def test_gzip_members_are_concatenated():
    assert inflate(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", 10) == b"abcd"


def test_a_bomb_costs_at_most_the_limit(monkeypatch):
    bomb = gzip.compress(b"\0" * 200_000_000)
    with pytest.raises(ApiError) as exc:
        inflate(bomb, "gzip", 1_000_000)
    assert exc.value.status == 413


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_garbage_is_a_400(encoding):
    with pytest.raises(ApiError) as exc:
        inflate(b"\x01\x02garbage", encoding, 100)
    assert exc.value.status == 400


def test_identity_and_unknown():
    assert inflate(b"abc", None, 3) == inflate(b"abc", " Identity ", 3) == b"abc"
    with pytest.raises(ApiError) as exc:
        inflate(b"abc", "compress", 3)
    assert exc.value.status == 415
