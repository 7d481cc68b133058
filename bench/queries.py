"""Queries at scale: 1,000,000 bugs in PostgreSQL, p50/p95 of every read route.

Loads 50 projects x 3 sources x 9 statuses of bugs with COPY, rebuilds the counters,
then serves the bugs, tasks, stats and releases functions under functions-framework's
production server and times 200 requests of each kind over HTTP. Prints the EXPLAIN ANALYZE
of the SQL behind each kind (captured from the real code paths) when --explain is given.

Releases: each bug's version is one of 200 per project (10,000 releases at 50 projects), the
releases, their bug links and counters are built by the schema-9 backfill itself (timed),
and every release gets a commit and deploys to staging and production.

    .venv/bin/python -m bench.queries [--bugs 1000000] [--requests 200] [--explain]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from urllib.parse import quote

import pg8000.native
import requests
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench.common import ROOT, create_pg_database, function_server, pg_database
from shared.core.vocabulary import LEVELS, SOURCES, STATUSES

PROJECTS = [f"project_{i:02d}" for i in range(50)]
STATUS_WEIGHTS = [30, 10, 2, 30, 10, 8, 3, 2, 5]
SOURCE_WEIGHTS = [60, 20, 20]
# Messages as apps write them: a template with the variable parts filled in.
TEMPLATES = [
    "invalid literal for int() with base 10: 'v{n}'",
    "connection to 10.0.{a}.{b}:5432 refused",
    "'user_{n}' not found in session cache",
    "timeout after {a}s calling payment-svc /orders/{n}",
    "disk quota exceeded on /var/lib/app/{n}",
    "upstream returned 502 for request r-{n}",
    "schema mismatch in column c{a} of table t{b}",
    "lock wait timeout exceeded for order {n}",
    "npm ERR! code ELIFECYCLE in package pkg-{a}",
    "Back-off restarting failed container app-{a}",
]
# A person searching pastes a rare identifier, or types a phrase many messages share.
RARE_SEARCH = "user_{n}'"
COMMON_SEARCH = ["connection to", "payment-svc", "quota exceeded", "Back-off restarting"]
# Short terms: three to five characters, from everywhere (all rows) to a few hundred rows.
SHORT_SEARCH = ["Err", "502", "quota", "v1234", "t17", "ock w", "Err2"]
COLUMNS = ["project_id", "source", "level", "environment", "version", "error_type", "error_message", "file_path",
           "line_number", "context", "fingerprint", "status", "occurrence_count", "is_regression", "first_seen_at",
           "last_seen_at", "last_ingest", "first_version"]
RELEASES_PER_PROJECT = 200


def _csv(value) -> str:  # noqa: ANN001
    if value is None:
        return ""
    s = str(value)
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s


def generate(n: int, now: datetime, seed: int = 7) -> io.BytesIO:
    rng = random.Random(seed)
    out = io.StringIO()
    for i in range(n):
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        project = PROJECTS[rng.randrange(50)]
        first = now - timedelta(seconds=rng.randrange(90 * 86400))
        last = first + timedelta(seconds=rng.randrange(max(1, int((now - first).total_seconds()))))
        # 300 error types named like an independent run's (Err0..Err299): `q=Err17` then
        # matches Err17 and Err170..Err179, ~4 % of rows, the shape that missed its target.
        etype = f"Err{rng.randrange(300)}"
        msg = rng.choice(TEMPLATES).format(n=rng.randrange(10_000_000), a=rng.randrange(256), b=rng.randrange(256))
        if source == "runtime":
            path, line, ctx = f"app/module_{i % 997}.py", i % 5000, "{}"
        elif source == "cicd":
            path, line, ctx = None, None, '{"job_name":"build","step_name":"step %d"}' % (i % 50)
        else:
            path, line, ctx = None, None, '{"namespace":"prod","deployment_name":"svc-%d"}' % (i % 50)
        version = f"1.{rng.randrange(RELEASES_PER_PROJECT)}.0"
        row = [project, source, rng.choice(LEVELS), "production", version, etype, msg, path, line, ctx,
               hashlib.sha256(f"bench-{i}".encode()).hexdigest(), rng.choices(STATUSES, STATUS_WEIGHTS)[0],
               rng.randint(1, 50), "false", first.isoformat(sep=" "), last.isoformat(sep=" "), "created", version]
        out.write(",".join(_csv(v) for v in row) + "\n")
    return io.BytesIO(out.getvalue().encode())


def load(db_url: str, n: int) -> float:
    from shared.db.engine import dispose_engines, get_engine
    from shared.settings import reset_settings

    os.environ["DATABASE_URL"] = db_url
    reset_settings()
    get_engine()  # schema and indexes, as a function's first start creates them
    dispose_engines()
    url = make_url(db_url)
    conn = pg8000.native.Connection(user=url.username, host=url.host, port=url.port or 5432,
                                    database=url.database, password=url.password, timeout=3600)
    started = time.perf_counter()
    now = datetime.utcnow()
    data = generate(n, now)
    generated = time.perf_counter()
    conn.run(f"COPY errorlog ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", stream=data)
    copied = time.perf_counter()
    engine = create_engine(db_url)
    from shared.db.counters import recount

    with engine.begin() as c:
        recount(c)
        rng = random.Random(3)
        rows = [{"d": (now - timedelta(days=d)).date(), "p": p, "s": s, "b": b, "c": rng.randint(0, 400)}
                for d in range(90) for p in PROJECTS for s in SOURCES for b in range(4)]
        c.execute(text("INSERT INTO errorlog_daily (day, project_id, source, bucket, count) "
                       "VALUES (:d, :p, :s, :b, :c)"), rows)
    backfill = load_releases(engine)
    engine.dispose()
    conn.run("VACUUM ANALYZE")
    conn.close()
    done = time.perf_counter()
    print(f"loaded {n:,} bugs: generate {generated - started:.1f} s, COPY {copied - generated:.1f} s, "
          f"release backfill {backfill:.1f} s, counters + daily + deploys + VACUUM ANALYZE "
          f"{done - copied - backfill:.1f} s, total {done - started:.1f} s")
    return done - started


def load_releases(engine) -> float:  # noqa: ANN001
    """Releases as an upgraded database gets them (the schema-9 backfill over the loaded bugs),
    then a commit per release and a deploy to staging and one to production. Seconds the
    backfill took."""
    from shared.db.migrations import _backfill_releases

    with engine.begin() as c:
        for table in ("release_bug", "release_environment", "deploy", "release"):
            c.execute(text(f"DELETE FROM {table}"))
        t0 = time.perf_counter()
        _backfill_releases(c)
        took = time.perf_counter() - t0
        c.execute(text("UPDATE release SET commit_sha = md5(id::text) || substr(md5((id + 1)::text), 1, 8), "
                       "sha_key = substr(md5(id::text), 1, 7)"))
        c.execute(text("""
            INSERT INTO deploy (project_id, environment, release_id, version, commit_sha, url, actor,
                                deployed_at, created_at)
            SELECT r.project_id, e.env, r.id, r.version, r.commit_sha,
                   'https://ci.example.com/runs/' || r.id, 'bench', r.first_seen_at + e.lag, r.first_seen_at + e.lag
            FROM release r CROSS JOIN (VALUES ('staging', interval '1 minute'),
                                              ('production', interval '1 hour')) AS e(env, lag)"""))
        c.execute(text("UPDATE release SET deploys = 2"))
        c.execute(text("""
            INSERT INTO release_environment (release_id, environment, project_id, first_seen_at, last_seen_at,
                                             deployment_errors, new_runtime_bugs, regressions, deploys)
            SELECT d.release_id, d.environment, d.project_id, d.deployed_at, d.deployed_at, 0, 0, 0, 1 FROM deploy d
            ON CONFLICT (release_id, environment) DO UPDATE SET deploys = release_environment.deploys + 1"""))
    return took


def cases(rng: random.Random, max_id: int, releases: list[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """name -> (function, path factory result) for one request."""
    p = rng.choice(PROJECTS)
    rp, version, sha = rng.choice(releases)
    return {
        # What any request costs on this server and client: the floor under every figure below.
        "hello-world": ("hello", "/"),
        "list page 1": ("bugs", "/api/v1/bugs"),
        "list by project": ("bugs", f"/api/v1/bugs?project_id={p}"),
        "list by source": ("bugs", f"/api/v1/bugs?source={rng.choice(SOURCES)}"),
        "list by status": ("bugs", f"/api/v1/bugs?status={rng.choice(['NEW', 'FIXED', 'PENDING_FIX'])}"),
        "list by all three": ("bugs", f"/api/v1/bugs?project_id={p}&source=runtime&status=NEW"),
        "list page 500": ("bugs", "/api/v1/bugs?page=500"),
        "search, rare term": ("bugs", "/api/v1/bugs?q=" + quote(RARE_SEARCH.format(n=rng.randrange(10_000_000)))),
        "search, common": ("bugs", "/api/v1/bugs?q=" + quote(rng.choice(COMMON_SEARCH))),
        "search, type Err17": ("bugs", f"/api/v1/bugs?q=Err{rng.randrange(10, 30)}"),
        "search, short 3-5": ("bugs", "/api/v1/bugs?q=" + quote(rng.choice(SHORT_SEARCH))),
        "search, type+filter": ("bugs", f"/api/v1/bugs?q=Err{rng.randrange(100, 300)}&project_id={p}"),
        "bug detail": ("bugs", f"/api/v1/bugs/{rng.randint(1, max_id)}"),
        "stats": ("stats", "/api/v1/dashboard/stats"),
        "stats filtered": ("stats", f"/api/v1/dashboard/stats?source=runtime&project_id={p}"),
        "tasks/pending": ("tasks", "/api/v1/tasks/pending?source=runtime&limit=10"),
        "releases of project": ("releases", f"/api/v1/releases?project_id={rp}"),
        "releases, production": ("releases", f"/api/v1/releases?project_id={rp}&environment=production"),
        "releases, all, p.50": ("releases", "/api/v1/releases?page=50"),
        "release detail": ("releases", f"/api/v1/releases/{rp}/{version}"),
        "release by short sha": ("releases", f"/api/v1/releases/{rp}/{sha}"),
    }


TARGETS = {"stats": 50, "stats filtered": 50}


def measure(urls: dict[str, str], count: int, max_id: int,
            releases: list[tuple[str, str, str]]) -> dict[str, tuple[float, float]]:
    rng = random.Random(11)
    session = requests.Session()
    timings: dict[str, list[float]] = {}
    for i in range(count + 10):
        for name, (fn, path) in cases(rng, max_id, releases).items():
            t0 = time.perf_counter()
            r = session.get(urls[fn] + path, timeout=30)
            elapsed = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                raise SystemExit(f"{name}: {r.status_code} {r.text[:300]}")
            if i >= 10:  # the first rounds warm caches and connections
                timings.setdefault(name, []).append(elapsed)
    out = {}
    for name, values in timings.items():
        values.sort()
        out[name] = (statistics.median(values), values[int(len(values) * 0.95) - 1])
    return out


def explain(db_url: str, max_id: int, releases: list[tuple[str, str, str]]) -> None:
    """EXPLAIN ANALYZE of the statements the real code paths run for each kind."""
    from shared.bugs import queries as bugs
    from shared.bugs import stats, tasks
    from shared.releases import queries as release_queries
    from shared.db.engine import dispose_engines, get_engine
    from shared.settings import reset_settings

    os.environ["DATABASE_URL"] = db_url
    reset_settings()
    engine = get_engine()
    rp, version, sha = releases[0]
    captured: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        captured.append((statement, parameters))

    kinds = {
        "list page 1": lambda: bugs.list_bugs({}, 1, 20, None),
        "list by project": lambda: bugs.list_bugs({"project_id": ["project_07"]}, 1, 20, None),
        "list by source": lambda: bugs.list_bugs({"source": ["cicd"]}, 1, 20, None),
        "list by status": lambda: bugs.list_bugs({"status": ["NEW"]}, 1, 20, None),
        "list by all three": lambda: bugs.list_bugs({"project_id": ["project_07"], "source": ["runtime"],
                                                     "status": ["NEW"]}, 1, 20, None),
        "list page 500": lambda: bugs.list_bugs({}, 500, 20, None),
        "search, rare term": lambda: bugs.list_bugs({"q": "user_4242'"}, 1, 20, None),
        "search, common": lambda: bugs.list_bugs({"q": "payment-svc"}, 1, 20, None),
        "search, type Err17": lambda: bugs.list_bugs({"q": "Err17"}, 1, 20, None),
        "search, short 3-5": lambda: bugs.list_bugs({"q": "t17"}, 1, 20, None),
        "search, type+filter": lambda: bugs.list_bugs({"q": "Err170", "project_id": ["project_07"]}, 1, 20, None),
        "bug detail": lambda: bugs.get_bug(max_id // 2),
        "stats": lambda: stats.compute_stats(None, None),
        "stats filtered": lambda: stats.compute_stats(["runtime"], ["project_07"]),
        "tasks/pending": lambda: tasks.pending(["runtime"], None, 10),
        "releases of project": lambda: release_queries.list_releases("project_07", None, 1, 20),
        "releases, production": lambda: release_queries.list_releases("project_07", "production", 1, 20),
        "releases, all, p.50": lambda: release_queries.list_releases(None, None, 50, 20),
        "release detail": lambda: release_queries.get_release(rp, version, None),
        "release by short sha": lambda: release_queries.get_release(rp, sha, None),
    }
    raw = engine.raw_connection()
    for name, run in kinds.items():
        captured.clear()
        run()
        print(f"\n### {name}\n")
        for statement, params in captured:
            if statement.strip().upper().startswith(("BEGIN", "SELECT 1", "SAVEPOINT", "RELEASE", "ROLLBACK")) \
                    or "pg_catalog" in statement:
                continue
            cur = raw.cursor()
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + statement, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
            print("```\n" + " ".join(statement.split()) + "\n" + plan + "\n```")
    raw.close()
    dispose_engines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bugs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--database-url", help="measure an already loaded database instead of loading one")
    parser.add_argument("--keep", action="store_true", help="print the loaded database's URL and keep it")
    args = parser.parse_args()
    if args.database_url:
        run(args, args.database_url)
    elif args.keep:
        db_url = create_pg_database("logcenter_scale")
        load(db_url, args.bugs)
        print(f"kept: --database-url {db_url}")
        run(args, db_url)
    else:
        with pg_database("logcenter_scale") as db_url:
            load(db_url, args.bugs)
            run(args, db_url)


def run(args: argparse.Namespace, db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        max_id = conn.execute(text("SELECT max(id) FROM errorlog")).scalar() or 1
        releases = [(r.project_id, r.version, r.sha_key) for r in conn.execute(text(
            "SELECT project_id, version, sha_key FROM release WHERE sha_key IS NOT NULL ORDER BY random() LIMIT 500"))]
    engine.dispose()
    if not releases:
        raise SystemExit("no releases in this database: load it with this version of bench.queries")
    env = {"DATABASE_URL": db_url}
    with function_server("hello", ROOT / "bench/hello/main.py", health="/") as hello_url, \
            function_server("bugs", ROOT / "functions/bugs/main.py", env=env) as bugs_url, \
            function_server("tasks", ROOT / "functions/tasks/main.py", env=env) as tasks_url, \
            function_server("stats", ROOT / "functions/stats/main.py", env=env) as stats_url, \
            function_server("releases", ROOT / "functions/releases/main.py", env=env) as releases_url:
        results = measure({"hello": hello_url, "bugs": bugs_url, "tasks": tasks_url, "stats": stats_url,
                           "releases": releases_url},
                          args.requests, max_id, releases)
    print(f"\n{'query':<20} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}")
    for name, (p50, p95) in results.items():
        if name == "hello-world":
            print(f"{name:<20} {p50:>8.2f} {p95:>8.2f} {'':>8}  baseline")
            continue
        target = TARGETS.get(name, 25)
        verdict = "ok" if p95 <= target else "MISSED"
        print(f"{name:<20} {p50:>8.2f} {p95:>8.2f} {'<= ' + str(target):>8}  {verdict}")
    if args.explain:
        explain(db_url, max_id, releases)


if __name__ == "__main__":
    main()
