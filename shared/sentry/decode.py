"""A Sentry request body: read within a limit, then inflated within the same limit.

SDKs compress: the Python SDK gzip (br when `brotli` imports), browsers and Node nothing
or gzip, older clients deflate, zlib-wrapped or raw. Inflating happens in bounded steps, so
a small body that inflates to gigabytes (a decompression bomb) costs at most the limit in
memory before it is refused with a 413.
"""

from __future__ import annotations

import zlib

import flask

from shared.http import errors

_STEP = 256 * 1024  # bytes read or inflated at a time


def read_raw(request: flask.Request, limit: int) -> bytes:
    """The body as sent, never more than `limit` bytes. With `Transfer-Encoding: chunked`
    (@sentry/node) there is no Content-Length: the stream is read to its end."""
    length = request.content_length
    if length is not None and length > limit:
        raise errors.PayloadTooLarge(f"the body is {length} bytes; the limit is {limit}")
    parts: list[bytes] = []
    size = 0
    stream = request.stream
    while True:
        chunk = stream.read(min(_STEP, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise errors.PayloadTooLarge(f"the body is over the limit of {limit} bytes")
    return b"".join(parts)


def inflate(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """`raw` decoded per its Content-Encoding; 413 past `limit`, 400 when it does not decode."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip"):
        return _inflate_zlib(raw, 16 + zlib.MAX_WBITS, limit, "gzip", members=True)
    if encoding == "deflate":
        # RFC 9110 says zlib-wrapped; some clients send raw deflate. A zlib header is two
        # bytes whose value is a multiple of 31 with compression method 8.
        wrapped = len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
        return _inflate_zlib(raw, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS, limit, "deflate")
    if encoding == "br":
        return _inflate_brotli(raw, limit)
    raise errors.UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip, deflate, br or none")


def _too_large(limit: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"the inflated body is over the limit of {limit} bytes")


def _inflate_zlib(raw: bytes, wbits: int, limit: int, name: str, members: bool = False) -> bytes:
    out: list[bytes] = []
    size = 0
    pending = raw
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            while not inflater.eof:
                before = len(pending)
                chunk = inflater.decompress(pending, _STEP)
                pending = inflater.unconsumed_tail
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                out.append(chunk)
                if not chunk and (not pending or len(pending) == before):
                    break  # no progress: the input ended before the compressed stream did
        except zlib.error as exc:
            raise errors.BadRequest(f"the body is not valid {name}: {exc}") from None
        if not inflater.eof:
            raise errors.BadRequest(f"the body is not complete {name} data")
        # gzip allows several members one after another (`cat a.gz b.gz`).
        pending = inflater.unused_data
        if not (members and pending.strip(b"\x00")):
            return b"".join(out)


def _inflate_brotli(raw: bytes, limit: int) -> bytes:
    import brotli  # only bodies sent as br pay for the import

    inflater = brotli.Decompressor()
    out: list[bytes] = []
    size = 0
    try:
        chunk = inflater.process(raw, output_buffer_limit=_STEP)
        # All input is handed over at once; the rest of the output comes out in steps.
        while True:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            out.append(chunk)
            if inflater.is_finished() or not chunk:
                break
            chunk = inflater.process(b"", output_buffer_limit=_STEP)
    except brotli.error as exc:
        raise errors.BadRequest(f"the body is not valid br: {exc}") from None
    if not inflater.is_finished():
        raise errors.BadRequest("the body is not complete br data")
    return b"".join(out)
