"""Code every Log Center function shares, in layers whose imports only run downward.

    settings, timeutil, core/   leaves: configuration, time, and the values and rules every
                                layer agrees on (vocabulary, limits, fingerprint, text cleaning)
    http/                       the HTTP edge: router, errors -> JSON, body, auth, CORS, params
    db/                         engine and sessions, tables, schema version, migrations, counters
    ingest/, bugs/, …           domains: each owns its validation, its queries and its processing
    gateway                     the local all-in-one server (above everything, like a function)

http and db import only the leaves; domains import http, db, the leaves and each other
without cycles; functions/<name>/main.py imports domains. tests/shared/test_layers.py
checks these rules on every module.
"""
