"""Which release a report or a deploy belongs to, and the counters ingest keeps for it.

`after_batch(conn, reports, now)` is the one call shared/ingest/batch.py makes, inside
the batch's transaction, after the upsert: a report that matters to a release links its bug
to that release once (`release_bug`) and adds one to the release's counter and to the
counter of the report's environment. Which reports count where:

| report (source, what the upsert did)      | counts as          | in the release of              |
|-------------------------------------------|--------------------|--------------------------------|
| cicd, any counted report                  | `cicd_failure`     | its version, else its commit   |
| deployment, a new crash (not a re-scan)   | `deployment_error` | its version (the image tag)    |
| runtime, created the bug                  | `new_runtime_bug`  | its version (= first_version)  |
| runtime, reopened a resolved bug          | `regression`       | the version it reappeared in   |

A runtime report of a bug that stays open counts nowhere (Sentry's "new issues" per release
are the same idea), so the hot path of ingest — one more occurrence of a known bug — costs
nothing here. A bug counts once per (release, kind, environment): a CI step that fails
again on a re-run of the same commit, or a workload that crashes again on the same image,
is not counted twice; the same step failing on the next commit counts for that commit too.
CI failures have no environment (a build happens once per commit); the other three also
count in `release_environment` under the report's environment ('' when it has none).

A report without version and commit belongs to no release. The release of a version:
1. the release of that exact version;
2. else, when the version is a commit sha (an image tag `shop:9f2c1e0`), or there is no
   version but a commit: the newest release whose commit (or sha version) names the same
   commit — one sha a prefix of the other, 7+ characters (shared/core/commits.py);
3. else, for a named version (`1.4.2`) with a commit: a release known so far only by that
   commit's sha takes the name (a CI failure of the commit came before its first deploy);
   else the newest release of that commit under another name is it (one commit is one
   release: a Sentry SDK's release `shop@9f2c1e0` joins the deploy of `1.4.2` at 9f2c1e0);
4. else a new release, named by the version, or by the commit when there is none.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.core.commits import as_sha, longer, same_commit, sha_key
from shared.db import sql

if TYPE_CHECKING:  # SQLAlchemy or a driver connection (shared/db/sql.py); never imported on ingest
    from sqlalchemy.engine import Connection

KINDS = ("cicd_failure", "deployment_error", "new_runtime_bug", "regression")
COUNTERS = {"cicd_failure": "cicd_failures", "deployment_error": "deployment_errors",
            "new_runtime_bug": "new_runtime_bugs", "regression": "regressions"}
ENV_COUNTERS = ("deployment_errors", "new_runtime_bugs", "regressions", "deploys")
# A release's sha lookup reads at most this many candidates (releases of one commit).
_SHA_CANDIDATES = 20

_FIND_VERSION = ("SELECT id, version, commit_sha FROM release "
                     "WHERE project_id = :project_id AND version = :version")
_FIND_SHA = ("SELECT id, version, commit_sha FROM release WHERE project_id = :project_id "
                 f"AND sha_key = :sha_key ORDER BY first_seen_at DESC, id DESC LIMIT {_SHA_CANDIDATES}")
_INSERT = ("INSERT INTO release (project_id, version, commit_sha, sha_key, first_seen_at, last_seen_at, "
               "cicd_failures, deployment_errors, new_runtime_bugs, regressions, deploys) "
               "VALUES (:project_id, :version, :commit_sha, :sha_key, :now, :now, 0, 0, 0, 0, 0) "
               "ON CONFLICT (project_id, version) DO NOTHING RETURNING id")
_SET_COMMIT = ("UPDATE release SET commit_sha = :commit_sha, sha_key = :sha_key WHERE id = :id")
_RENAME = ("UPDATE release SET version = :version, commit_sha = :commit_sha, sha_key = :sha_key "
               "WHERE id = :id")
_LINK = ("INSERT INTO release_bug (release_id, kind, environment, bug_id, created_at) "
             "VALUES (:release_id, :kind, :environment, :bug_id, :now) "
             "ON CONFLICT (release_id, kind, environment, bug_id) DO NOTHING RETURNING id")
_COUNT = {kind: (f"UPDATE release SET {col} = {col} + 1, last_seen_at = :now WHERE id = :release_id")
          for kind, col in COUNTERS.items()}


def _env_upsert(column: str) -> str:
    values = ", ".join("1" if c == column else "0" for c in ENV_COUNTERS)
    return (f"INSERT INTO release_environment (release_id, environment, project_id, first_seen_at, "
            f"last_seen_at, {', '.join(ENV_COUNTERS)}) "
            f"VALUES (:release_id, :environment, :project_id, :now, :now, {values}) "
            f"ON CONFLICT (release_id, environment) DO UPDATE SET "
            f"{column} = release_environment.{column} + 1, "
            f"first_seen_at = CASE WHEN excluded.first_seen_at < release_environment.first_seen_at "
            f"THEN excluded.first_seen_at ELSE release_environment.first_seen_at END, "
            f"last_seen_at = CASE WHEN excluded.last_seen_at > release_environment.last_seen_at "
            f"THEN excluded.last_seen_at ELSE release_environment.last_seen_at END")


ENV_COUNT = {col: (_env_upsert(col)) for col in ENV_COUNTERS}

# The batch form of _LINK + _COUNT + ENV_COUNT: only the links the INSERT made count, summed
# per release and per (release, environment) so no row is updated twice by one statement.
_SUMS = ", ".join(f"count(*) FILTER (WHERE kind = '{kind}') AS {col}" for kind, col in COUNTERS.items())
_ENV_KINDS = [c for c in ENV_COUNTERS if c != "deploys"]
_LINK_BATCH_PG = f"""
WITH l AS (SELECT * FROM json_to_recordset(CAST(:links AS json))
           AS l(release_id bigint, kind text, environment text, bug_id bigint)),
linked AS (
    INSERT INTO release_bug (release_id, kind, environment, bug_id, created_at)
    SELECT release_id, kind, environment, bug_id, CAST(:now AS TIMESTAMP) FROM l
    ON CONFLICT (release_id, kind, environment, bug_id) DO NOTHING
    RETURNING release_id, kind, environment
),
-- Lock the releases in id order before updating them: an UPDATE ... FROM has no order of
-- its own, and two batches naming the same releases must queue, not deadlock.
locked AS (
    SELECT id FROM release WHERE id IN (SELECT release_id FROM linked) ORDER BY id FOR UPDATE
),
counted AS (
    UPDATE release SET {", ".join(f"{c} = release.{c} + s.{c}" for c in COUNTERS.values())},
                       last_seen_at = CAST(:now AS TIMESTAMP)
    FROM (SELECT release_id, {_SUMS} FROM linked GROUP BY release_id) s JOIN locked ON locked.id = s.release_id
    WHERE release.id = s.release_id
),
per_env AS (
    INSERT INTO release_environment (release_id, environment, project_id, first_seen_at, last_seen_at,
                                     {", ".join(ENV_COUNTERS)})
    SELECT s.release_id, s.environment, s.project_id, CAST(:now AS TIMESTAMP), CAST(:now AS TIMESTAMP),
           {", ".join(f"s.{c}" for c in _ENV_KINDS)}, 0
    FROM (SELECT linked.release_id, linked.environment, r.project_id, {_SUMS}
          FROM linked JOIN release r ON r.id = linked.release_id
          WHERE linked.kind <> 'cicd_failure' GROUP BY linked.release_id, linked.environment, r.project_id
          ORDER BY linked.release_id, linked.environment) s
    ON CONFLICT (release_id, environment) DO UPDATE SET
        {", ".join(f"{c} = release_environment.{c} + excluded.{c}" for c in _ENV_KINDS)},
        last_seen_at = CASE WHEN excluded.last_seen_at > release_environment.last_seen_at
                            THEN excluded.last_seen_at ELSE release_environment.last_seen_at END
)
SELECT count(*) AS linked FROM linked"""


def kind_of(source: str, action: str) -> str | None:
    """What a report counts as in its release (the table above), or None."""
    if action in ("rescan", "duplicate"):
        return None
    if source == "cicd":
        return "cicd_failure"
    if source == "deployment":
        return "deployment_error"
    return {"created": "new_runtime_bug", "reopened": "regression"}.get(action)


def commit_of(report: Any) -> str | None:
    """A report's commit: `commit_hash`, else a CI run's `context.commit_sha`."""
    commit = as_sha(report.commit_hash)
    if commit is None and isinstance(report.context, dict) and isinstance(report.context.get("commit_sha"), str):
        commit = as_sha(report.context["commit_sha"])
    return commit


def after_batch(conn: Connection, reports: list[tuple[Any, Any]], now: datetime) -> None:
    """The release side of a batch of ingested reports, in its transaction.

    `reports` pairs each validated report (project_id, source, environment, version,
    commit_hash, context) with what the upsert returned for it (id, last_ingest), in arrival
    order. A release is resolved once per batch however many reports name it, and on
    PostgreSQL every link and counter of the batch is one statement: a batch of new bugs
    costs two round trips here, not four per bug."""
    links: dict[tuple[int, str, str, int], dict[str, Any]] = {}
    releases: dict[tuple[str, str | None, str | None], int | None] = {}
    counted = [(report, row, kind, (report.project_id, report.version, commit_of(report)))
               for report, row in reports if (kind := kind_of(report.source, row.last_ingest)) is not None]
    # Resolved in key order (resolving can create or fill a release) so that concurrent
    # batches take release rows in one order.
    for key in sorted({key for *_, key in counted}, key=lambda k: (k[0], k[1] or "", k[2] or "")):
        releases[key] = resolve(conn, *key, now)
    for report, row, kind, key in counted:
        release_id = releases[key]
        if release_id is None:
            continue
        environment = "" if kind == "cicd_failure" else (report.environment or "")
        # A CI bug reported twice in one batch links (and counts) once, as it would across two.
        links.setdefault((release_id, kind, environment, row.id),
                         {"release_id": release_id, "kind": kind, "environment": environment, "bug_id": row.id,
                          "project_id": report.project_id, "now": now})
    if not links:
        return
    if conn.dialect.name == "postgresql":
        rows = [{k: link[k] for k in ("release_id", "kind", "environment", "bug_id")}
                for _, link in sorted(links.items())]
        sql.execute(conn, _LINK_BATCH_PG, {"links": json.dumps(rows), "now": now})
        return
    for params in links.values():
        if sql.execute(conn, _LINK, params).first() is None:
            continue  # this bug already counts here
        sql.execute(conn, _COUNT[params["kind"]], params)
        if params["kind"] != "cicd_failure":
            sql.execute(conn, ENV_COUNT[COUNTERS[params["kind"]]], params)


def _by_sha(conn: Connection, project_id: str, sha: str, commit_only: bool = False) -> Any:
    """The newest release naming this commit (by its commit, or its version when that is a sha)."""
    for row in sql.execute(conn, _FIND_SHA, {"project_id": project_id, "sha_key": sha_key(sha)}):
        version_sha = as_sha(row.version)
        if commit_only and version_sha is None:
            continue
        if same_commit(sha, row.commit_sha) or same_commit(sha, version_sha):
            return row
    return None


def _fill_commit(conn: Connection, row: Any, commit: str | None) -> None:
    """Record a release's commit, or a longer sha of the same one."""
    known = as_sha(row.commit_sha)
    if commit is None or (known is not None and not same_commit(known, commit)):
        return
    best = longer(known, commit)
    if best != known:
        sql.execute(conn, _SET_COMMIT, {"id": row.id, "commit_sha": best, "sha_key": sha_key(best)})


def resolve(conn: Connection, project_id: str, version: str | None, commit: str | None,
            now: datetime, create: bool = True) -> int | None:
    """The id of the release of (version, commit) by the rules above; with create=False None
    when there is none yet (nothing is written then)."""
    version = version.strip() if version and version.strip() else None
    commit = as_sha(commit)
    if version is None and commit is None:
        return None
    if version is not None:
        row = sql.execute(conn, _FIND_VERSION, {"project_id": project_id, "version": version}).first()
        if row is not None:
            if create:
                _fill_commit(conn, row, commit)
            return row.id
        version_sha = as_sha(version)
        if version_sha is not None and commit is not None and not same_commit(version_sha, commit):
            version_sha = None  # a sha-looking name of some other commit: a name, not a sha
    else:
        version_sha = None
    sha = commit or version_sha
    if sha is not None and (version is None or version_sha is not None):
        row = _by_sha(conn, project_id, sha)
        if row is not None:
            if create:
                _fill_commit(conn, row, sha)
            return row.id
    if not create:
        return None
    if version is not None and version_sha is None and commit is not None:
        adopted = _adopt(conn, project_id, version, commit)
        if adopted is not None:
            return adopted
        row = _by_sha(conn, project_id, commit)
        if row is not None:
            _fill_commit(conn, row, commit)
            return row.id
    return _insert(conn, project_id, version or sha, sha, now)


def _adopt(conn: Connection, project_id: str, version: str, commit: str) -> int | None:
    """A release known only by this commit's sha takes the name `version`."""
    row = _by_sha(conn, project_id, commit, commit_only=True)
    if row is None:
        return None
    best = longer(as_sha(row.commit_sha), commit)
    try:
        # A concurrent report may create `version` first: then that release is the one.
        with sql.savepoint(conn):
            sql.execute(conn, _RENAME, {"id": row.id, "version": version, "commit_sha": best, "sha_key": sha_key(best)})
    except Exception as exc:
        if not sql.is_unique_violation(exc):
            raise
        return None
    return row.id


def _insert(conn: Connection, project_id: str, version: str, sha: str | None, now: datetime) -> int:
    params = {"project_id": project_id, "version": version, "commit_sha": sha,
              "sha_key": sha_key(sha) if sha else None, "now": now}
    inserted = sql.execute(conn, _INSERT, params).first()
    if inserted is not None:
        return inserted.id
    # Created by a concurrent report that committed first.
    return sql.execute(conn, _FIND_VERSION, params).one().id
