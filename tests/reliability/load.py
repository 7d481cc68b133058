"""Pieces the reliability checks share with bench/soak.py and bench/db_restart.py.

- `FunctionServer`: one function under functions-framework's production server (gunicorn,
  1 worker, THREADS threads), its output in a log file (a pipe nobody reads would block it);
- `PrivatePostgres`: a throwaway PostgreSQL cluster (initdb in a temp dir, its own port, run
  as the `postgres` OS user) that a test may stop and start without touching the shared one;
- `Traffic`: report payloads with realistic duplicates across all three sources;
- `run_mixed_load`: N client threads for a bounded time, every response recorded.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("LOGCENTER_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- servers

class FunctionServer:
    """`functions-framework --target NAME --source functions/NAME/main.py` (gunicorn, no --debug)."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path, threads: int = 8):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log_path
        self.threads = threads
        self.proc: subprocess.Popen | None = None

    def start(self) -> "FunctionServer":
        binary = ROOT / ".venv" / "bin" / "functions-framework"
        if not binary.exists():
            binary = Path(shutil.which("functions-framework") or "functions-framework")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGCENTER_") and k != "DATABASE_URL"}
        env.update({"THREADS": str(self.threads), "WORKERS": "1", "PYTHONUNBUFFERED": "1"}, **self.env)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(binary), "--target", self.name, "--source", str(ROOT / "functions" / self.name / "main.py"),
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if requests.get(self.url + "/_/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} not healthy within 30 s; log: {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


class Servers(dict):
    """{name: FunctionServer}, all against one database; a context manager that stops them all."""

    def __init__(self, names, database_url: str, log_dir: Path, threads: int = 8,  # noqa: ANN001
                 env: dict[str, str] | None = None):
        super().__init__()
        self.names = list(names)
        self.env = {"DATABASE_URL": database_url, **(env or {})}
        self.log_dir = Path(log_dir)
        self.threads = threads

    def __enter__(self) -> "Servers":
        try:
            for name in self.names:
                self[name] = FunctionServer(name, self.env, self.log_dir / f"{name}.log", self.threads).start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for server in self.values():
            server.stop()

    def worker_pids(self) -> dict[str, list[int]]:
        """The gunicorn worker of each server: a crashed worker would be replaced by its
        arbiter silently, so a check that nothing restarted compares these before and after."""
        out = {}
        for name, server in self.items():
            pid = server.proc.pid
            out[name] = sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        return out

    def log_text(self) -> str:
        return "\n".join(f"--- {s.name}\n" + s.log_path.read_text(errors="replace")[-4000:] for s in self.values())


# ----------------------------------------------------------------------------- private PostgreSQL

class PrivatePostgres:
    """A PostgreSQL cluster of its own, to stop and start under load (never the shared one).
    Its data directory is a temp dir; as root the server runs as the `postgres` OS user."""

    def __init__(self, base: Path | None = None):
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).exists():
                raise RuntimeError(f"{PG_BIN / tool} is missing: install postgresql-15 (make services does)")
        # PostgreSQL refuses to run as root: as root, run it as the postgres OS user.
        self.as_root = os.geteuid() == 0
        if self.as_root and not shutil.which("runuser"):
            raise RuntimeError("runuser is missing (util-linux); the cluster must run as the postgres user")
        self.dir = Path(tempfile.mkdtemp(prefix="logcenter-pg-", dir=base))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+pg8000://postgres@127.0.0.1:{self.port}/logcenter"
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)

    def _pg(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *args], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> "PrivatePostgres":
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-sync", "--no-instructions")
        self.start()
        import pg8000.native

        conn = pg8000.native.Connection(user="postgres", host="127.0.0.1", port=self.port, database="postgres",
                                        timeout=10)
        try:
            conn.run("CREATE DATABASE logcenter")
        finally:
            conn.close()
        return self

    def start(self) -> float:
        """Start and wait until it accepts connections; returns the seconds that took."""
        started = time.monotonic()
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
                f"-c full_page_writes=off -c max_connections=200")
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w",
                 "-t", "60", "start")
        return time.monotonic() - started

    def stop(self, mode: str = "fast") -> float:
        started = time.monotonic()
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        return time.monotonic() - started

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivatePostgres":
        try:
            return self.init()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *exc) -> None:
        self.destroy()


# ----------------------------------------------------------------------------- traffic

PROJECTS = ["rtc_backend", "web-frontend", "billing.api"]
LEVELS = ["ERROR", "ERROR", "ERROR", "CRITICAL", "WARNING"]
REASONS = [("CrashLoopBackOff", 1), ("OOMKilled", 137), ("Error", 2)]


def _zipf_weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) for rank in range(n)]


class Traffic:
    """Report payloads: a fixed population of bugs hit with a skewed (Zipf-like) frequency, so
    most reports are duplicates of a few hot bugs, plus a trickle of brand-new bugs.

    Deployment reports never repeat a (pod_name, restart_count, reason) triple: such a repeat is
    a scanner re-scan, which by design does not count (shared/ingest.py `scan_key`). Every
    restart_count carries this generator's `stream` number, so streams never collide either.
    """

    def __init__(self, seed: int, stream: int, runtime_bugs: int = 60, cicd_bugs: int = 20,
                 deployment_bugs: int = 12, new_bug_share: float = 0.02):
        self.rng = random.Random(seed)
        self.stream = stream
        self.seq = itertools.count(1)
        self.new_bug_share = new_bug_share
        self.runtime = [(PROJECTS[i % 3], f"Error{i % 17}", f"app/module_{i}.py", 10 + i) for i in range(runtime_bugs)]
        self.cicd = [(PROJECTS[i % 3], f"job-{i % 7}", f"step {i}", ["DockerBuildError", "TestFailure", "NpmBuildError"][i % 3])
                     for i in range(cicd_bugs)]
        self.deploy = [(PROJECTS[i % 3], ["prod", "staging"][i % 2], f"svc-{i}", REASONS[i % 3]) for i in range(deployment_bugs)]
        self.weights = {k: _zipf_weights(len(v)) for k, v in
                        (("runtime", self.runtime), ("cicd", self.cicd), ("deployment", self.deploy))}

    def report(self) -> dict:
        n = next(self.seq)
        source = self.rng.choices(["runtime", "cicd", "deployment"], [0.6, 0.2, 0.2])[0]
        level = self.rng.choice(LEVELS)
        if source == "runtime":
            project, etype, path, line = self.rng.choices(self.runtime, self.weights["runtime"])[0]
            if self.rng.random() < self.new_bug_share:
                line = 100_000 + self.stream * 1_000_000 + n  # a new bug
            return {"project_id": project, "level": level, "environment": "production", "version": "1.4.2",
                    "commit_hash": "9f2c1e0", "timestamp": "2026-11-27T10:00:00Z",
                    "error": {"type": etype, "message": f"boom #{n}: value {self.rng.randint(0, 10**6)}",
                              "file_path": path, "line_number": line,
                              "stack_trace": f'Traceback (most recent call last):\n  File "{path}", line {line}\n{etype}: boom'},
                    "context": {"request_id": f"{self.stream}-{n}", "user": self.rng.randint(1, 500)}}
        if source == "cicd":
            project, job, step, etype = self.rng.choices(self.cicd, self.weights["cicd"])[0]
            return {"project_id": project, "source": "cicd", "level": "ERROR",
                    "error": {"type": etype, "message": f"{step} failed with exit code 1"},
                    "context": {"workflow_name": "ci", "job_name": job, "step_name": step, "run_id": n,
                                "run_number": n, "run_url": f"http://gitea.local/{project}/actions/runs/{n}",
                                "repository": f"team/{project}", "ref": "refs/heads/main", "commit_sha": "9f2c1e0",
                                "actor": "dev", "log_tail": "npm ERR! code ELIFECYCLE\n" * self.rng.randint(1, 20)}}
        project, ns, deploy, (reason, exit_code) = self.rng.choices(self.deploy, self.weights["deployment"])[0]
        pod = f"{deploy}-7d9f{self.rng.randint(0, 3)}-abcde"
        restarts = self.stream * 10_000_000 + n  # unique per report: never a re-scan repeat
        return {"project_id": project, "source": "deployment", "level": "CRITICAL",
                "error": {"type": reason, "message": f"{pod} {reason}"},
                "context": {"namespace": ns, "deployment_name": deploy, "pod_name": pod, "container_name": "app",
                            "restart_count": restarts, "reason": reason, "exit_code": exit_code,
                            "node_name": "k3s-1", "image": f"registry.local/{deploy}:1.4.2",
                            "log_tail": "Traceback ...\nRuntimeError: boom\n"}}

    def list_path(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return "/api/v1/bugs"
        if r < 0.5:
            return f"/api/v1/bugs?project_id={self.rng.choice(PROJECTS)}&page={self.rng.randint(1, 3)}"
        if r < 0.7:
            return f"/api/v1/bugs?source={self.rng.choice(['runtime', 'cicd', 'deployment'])}&status=NEW"
        if r < 0.85:
            return "/api/v1/bugs?q=Error&sort=-occurrence_count&page_size=50"
        return f"/api/v1/bugs/{self.rng.randint(1, 100)}"

    def stats_path(self) -> str:
        if self.rng.random() < 0.5:
            return "/api/v1/dashboard/stats"
        return f"/api/v1/dashboard/stats?source={self.rng.choice(['runtime', 'cicd', 'deployment'])}"


# ----------------------------------------------------------------------------- load

CLIENT_IDLE = 1.0  # seconds; below gunicorn's keep-alive timeout of 2 s


@dataclass
class LoadResult:
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)      # (kind, status) -> n; status "transport" on errors
    accepted_reports: int = 0                               # 2xx answers to POST report
    latencies: dict = field(default_factory=dict)           # kind -> [seconds]
    transport_errors: list = field(default_factory=list)    # (kind, repr) of the first few
    bad_5xx: list = field(default_factory=list)             # (kind, status, body) of the first few

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def count(self, predicate) -> int:  # noqa: ANN001
        return sum(n for (kind, status), n in self.statuses.items() if predicate(kind, status))

    @property
    def server_errors(self) -> int:
        return self.count(lambda k, s: isinstance(s, int) and s >= 500)

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies.get(kind, []))
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    def merge(self, other: "LoadResult") -> None:
        self.seconds = max(self.seconds, other.seconds)
        self.statuses.update(other.statuses)
        self.accepted_reports += other.accepted_reports
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.transport_errors.extend(other.transport_errors[:10])
        self.bad_5xx.extend(other.bad_5xx[:10])


def run_mixed_load(urls: dict[str, str], connections: int, seconds: float, seed: int = 1, stream: int = 0,
                   mix: tuple[float, float, float] = (0.80, 0.15, 0.05), timeout: float = 30.0) -> LoadResult:
    """`connections` threads, each with its own keep-alive session, for `seconds`; then every
    thread finishes its request in flight (bounded by `timeout`) and stops.

    urls: {"report": base, "bugs": base, "stats": base}. mix: shares of report, list, stats.
    """
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        traffic = Traffic(seed * 1000 + index, stream * 1000 + index)
        # One keep-alive session per target, dropped once idle for longer than CLIENT_IDLE:
        # gunicorn closes a keep-alive connection after 2 s idle, and a request sent on it at
        # that moment dies with "connection reset" - a client's race, not a server failure
        # (clients keep their idle timeout below the server's for this reason).
        sessions: dict[str, requests.Session] = {}
        last_used: dict[str, float] = {}
        statuses: Counter = Counter()
        latencies: dict[str, list[float]] = {"report": [], "list": [], "stats": []}
        accepted = 0
        errors, bad = [], []
        rng = random.Random(seed * 7919 + index)
        while time.monotonic() < deadline:
            r = rng.random()
            kind = "report" if r < mix[0] else "list" if r < mix[0] + mix[1] else "stats"
            started = time.monotonic()
            session = sessions.get(kind)
            if session is None or started - last_used.get(kind, 0) > CLIENT_IDLE:
                if session is not None:
                    session.close()
                session = sessions[kind] = requests.Session()
            try:
                if kind == "report":
                    response = session.post(urls["report"] + "/api/v1/logs/report", json=traffic.report(),
                                            timeout=timeout)
                elif kind == "list":
                    response = session.get(urls["bugs"] + traffic.list_path(), timeout=timeout)
                else:
                    response = session.get(urls["stats"] + traffic.stats_path(), timeout=timeout)
            except requests.RequestException as exc:
                statuses[(kind, "transport")] += 1
                if len(errors) < 10:
                    errors.append((kind, repr(exc)))
                session.close()
                sessions.pop(kind)
                continue
            last_used[kind] = time.monotonic()
            latencies[kind].append(time.monotonic() - started)
            statuses[(kind, response.status_code)] += 1
            if kind == "report" and 200 <= response.status_code < 300:
                accepted += 1
            if response.status_code >= 500 and len(bad) < 10:
                bad.append((kind, response.status_code, response.text[:300]))
        for session in sessions.values():
            session.close()
        with lock:
            result.statuses.update(statuses)
            result.accepted_reports += accepted
            for k, v in latencies.items():
                result.latencies.setdefault(k, []).extend(v)
            result.transport_errors.extend(errors)
            result.bad_5xx.extend(bad)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 30)
    if any(t.is_alive() for t in threads):
        raise RuntimeError("a load thread did not finish in time")
    result.seconds = time.monotonic() - started
    return result


def _process_worker(args: tuple) -> LoadResult:  # runs in a child process
    urls, connections, seconds, seed, stream, mix = args
    return run_mixed_load(urls, connections, seconds, seed=seed, stream=stream, mix=mix)


def run_mixed_load_processes(urls: dict[str, str], connections: int, seconds: float, processes: int = 2,
                             seed: int = 1, mix: tuple[float, float, float] = (0.80, 0.15, 0.05)) -> LoadResult:
    """The same load split over several client processes (one Python process cannot keep 32
    connections busy on its own: the GIL), results merged."""
    import multiprocessing

    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes) as pool:
        parts = pool.map(_process_worker, [(urls, n, seconds, seed + i, i + 1, mix) for i, n in enumerate(per)])
    merged = LoadResult()
    for part in parts:
        merged.merge(part)
    return merged


# ----------------------------------------------------------------------------- accounting

def stored_totals(database_url: str) -> dict[str, int]:
    """Bugs, summed occurrence counts and summed day counters, read straight from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            bugs, occurrences = conn.execute(text("SELECT count(*), coalesce(sum(occurrence_count), 0) FROM errorlog")).one()
            by_source = dict(conn.execute(text("SELECT source, coalesce(sum(occurrence_count), 0) FROM errorlog GROUP BY source")).all())
            daily = conn.execute(text("SELECT coalesce(sum(count), 0) FROM errorlog_daily")).scalar()
    finally:
        engine.dispose()
    return {"bugs": int(bugs), "occurrences": int(occurrences), "daily": int(daily),
            **{f"occurrences_{k}": int(v) for k, v in by_source.items()}}


def check_soak(result, totals: dict, mismatches: dict) -> list[str]:
    """Everything that is wrong with a soak run (empty when it passed)."""
    problems = []
    if result.server_errors:
        problems.append(f"{result.server_errors} 5xx answers, e.g. {result.bad_5xx[:3]}")
    transport = result.count(lambda k, s: s == "transport")
    if transport:
        problems.append(f"{transport} requests without an answer, e.g. {result.transport_errors[:3]}")
    unexpected = {k: n for k, n in result.statuses.items() if k[1] not in (200, 201) and not (k[0] == "list" and k[1] == 404)}
    if unexpected:
        problems.append(f"unexpected statuses {unexpected}")
    if totals["occurrences"] != result.accepted_reports:
        problems.append(f"accepted {result.accepted_reports} reports but the bugs count {totals['occurrences']}")
    if totals["daily"] != result.accepted_reports:
        problems.append(f"accepted {result.accepted_reports} reports but the day counters hold {totals['daily']}")
    if mismatches:
        problems.append(f"bug counters out of step: {mismatches}")
    return problems
