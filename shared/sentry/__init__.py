"""sentry: the Sentry-compatible front door, and the projects whose DSNs point at it.

Owns the wire protocol of Sentry SDKs (DESIGN.md "Sentry-compatible ingest"): reading and
inflating a body within limits (`decode`), splitting an envelope into items (`envelope`),
finding and checking the DSN key (`auth`), turning an event into the same `Report` the
native route builds (`event`, with `scrub` for secret-looking values), the per-project rate
limit (`ratelimit`), and the request flow that ties them together (`receive`). `projects`
registers projects, rotates their keys and builds DSNs (DESIGN.md "Projects and DSNs").

Imports ingest (the one ingest path: validation and store), bugs (project counts), http,
db and the leaves. Everything the sentry function loads on its hot path stays off the ORM
(tests/shared/test_layers.py checks it); only `projects` uses it.
"""
