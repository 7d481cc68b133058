"""db: the database layer.

One engine per URL per process and transactions (engine), the tables (models), the
schema version check every cold start runs (schema), creating and upgrading a database in
place (migrations, imported only when a database needs it) and the counter tables kept in
step with `errorlog` (counters).

Imports only the leaves (settings, timeutil, core); knows nothing of HTTP or of any domain.
This file imports nothing, so `shared.db.engine` does not pull in the ORM.
"""
