"""ingest: turning what a client sends into a bug.

The report payload's validation and limits (validation) and the one atomic upsert on the
fingerprint with its counters (store). Front doors (the native report, later the Sentry
envelope) validate into a `Report` and hand it to `store.ingest`.

Imports http (errors), db, releases (its one hook `track.after_batch`) and the leaves.
The report function's hot path lives here: no module of this package may import the ORM
(`sqlalchemy.orm`, `shared.db.models`).
"""
