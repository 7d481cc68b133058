"""releases: one commit's story from build to deploy to runtime (DESIGN.md "Releases").

Owns the tables `release`, `release_environment`, `release_bug` and `deploy`. Which
release a report or deploy belongs to and the counters ingest keeps in the report's own
transaction (track: `after_batch` is the one call shared/ingest/batch.py makes), deploys
(deploys), the releases list and detail and a bug's release and suspect deploy (queries).

Imports db, http (errors), core (commits, limits) and the leaves. It never imports
shared.ingest (ingest calls in here, not the other way round) nor shared.bugs (bugs asks
it for a bug's release). `track` is on the report's hot path: like shared.ingest it never
imports the ORM (`sqlalchemy.orm`, `shared.db.models`).
"""
