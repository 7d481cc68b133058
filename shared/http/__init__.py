"""http: the edge every function shares.

A function builds a Router (router), registers handlers for its paths and hands requests
to `router.dispatch`. Errors of any kind become the one JSON error shape (errors,
responses) in the router and nowhere else. Also: reading bodies within limits (body),
tokens (auth), CORS (cors) and query/path parameters with field-level 422s (params).

Imports only the leaves (settings, core); knows nothing of the database layer or of any
domain. Modules are imported by path (`shared.http.router`); this file imports nothing.
"""
