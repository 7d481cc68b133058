"""Database restart under load, shared by tests/reliability/test_db_restart.py and bench/db_restart.py.

A private PostgreSQL cluster (never the machine's shared one) serves report, bugs, tasks and
stats, each under functions-framework's production server. Writer threads POST reports and
reader threads list bugs, pending tasks and stats the whole time; the cluster is stopped
(fast shutdown, then later an immediate one: a crash), kept down for a while and started
again. Every answer is recorded with its time, so the run can show: 503 + Retry-After + the
JSON error shape while the database is down (quickly, never a 500 or a hang), every function
serving again within seconds of the database's return (same processes), and no partial
writes: each report that got a 2xx is stored exactly once.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

import requests

from tests.reliability.load import PrivatePostgres, Servers

READS = {"bugs": "/api/v1/bugs?page_size=5", "tasks": "/api/v1/tasks/pending?limit=5",
         "stats": "/api/v1/dashboard/stats"}
HOT_BUGS = 5


@dataclass
class Answer:
    kind: str            # report | bugs | tasks | stats
    started: float
    ended: float
    status: int | str    # HTTP status or "transport"
    retry_after: str | None = None
    error_code: str | None = None
    marker: tuple | None = None  # (hot?, key) of a report


@dataclass
class Outage:
    mode: str
    stop_began: float = 0.0
    stopped: float = 0.0     # pg_ctl stop returned: the database is gone
    start_began: float = 0.0
    started: float = 0.0     # pg_ctl start returned: it accepts connections
    recovered: dict = field(default_factory=dict)  # function -> seconds after `started` to its first 200


def _report_payload(seq: int, hot: bool) -> dict:
    if hot:  # a few bugs hit over and over: the upsert path
        line = seq % HOT_BUGS
        return {"project_id": "restart", "error": {"type": "HotError", "message": f"#{seq}",
                                                  "file_path": "app/hot.py", "line_number": line}}
    # one bug per report: its presence proves exactly which reports were stored
    return {"project_id": "restart", "error": {"type": "OnceError", "message": f"#{seq}",
                                              "file_path": "app/once.py", "line_number": 1000 + seq}}


def run_restart(log_dir, outages=(("fast", 6.0), ("immediate", 6.0)), before: float = 6.0,  # noqa: ANN001
                between: float = 8.0, after: float = 6.0, writers: int = 6, readers: int = 3,
                timeout: float = 20.0) -> dict:
    answers: list[Answer] = []
    lock = threading.Lock()
    stop = threading.Event()
    seq = itertools.count(1)
    events: list[Outage] = []

    with PrivatePostgres() as pg, Servers(["report", "bugs", "tasks", "stats"], pg.url, log_dir) as servers:
        def record(answer: Answer) -> None:
            with lock:
                answers.append(answer)

        def call(kind: str, session: requests.Session, method: str, url: str, **kwargs) -> tuple:
            started = time.monotonic()
            try:
                r = session.request(method, url, timeout=timeout, **kwargs)
            except requests.RequestException:
                return Answer(kind, started, time.monotonic(), "transport"), None
            code = None
            if r.status_code >= 400:
                try:
                    code = r.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "not-the-error-shape"
            return Answer(kind, started, time.monotonic(), r.status_code, r.headers.get("Retry-After"), code), r

        def writer(index: int) -> None:
            session = requests.Session()
            for _ in range(1_000_000):
                if stop.is_set():
                    break
                n = next(seq)
                hot = n % 2 == 0
                answer, _ = call("report", session, "POST", servers["report"].url + "/api/v1/logs/report",
                                 json=_report_payload(n, hot))
                answer.marker = (hot, n)
                record(answer)
                if answer.status == "transport":
                    session = requests.Session()
                if answer.status == 503:
                    time.sleep(0.05)  # a polite client; the Retry-After itself is checked, not obeyed

        def reader(index: int) -> None:
            session = requests.Session()
            kinds = itertools.cycle(READS)
            for _ in range(1_000_000):
                if stop.is_set():
                    break
                kind = next(kinds)
                answer, _ = call(kind, session, "GET", servers[kind].url + READS[kind])
                record(answer)
                if answer.status == "transport":
                    session = requests.Session()
                time.sleep(0.02)

        def probe_recovery(outage: Outage) -> None:
            """After the database is back: the first 200 of each function, through its DB path."""
            pending = {"report", *READS}
            session = requests.Session()
            deadline = outage.started + 30
            while pending and time.monotonic() < deadline:
                for kind in sorted(pending):
                    if kind == "report":
                        _, r = call(kind, session, "POST", servers["report"].url + "/api/v1/logs/report",
                                    json={"project_id": "restart", "error": {"type": "ProbeError"}})
                    else:
                        _, r = call(kind, session, "GET", servers[kind].url + READS[kind])
                    if r is not None and r.status_code in (200, 201):
                        outage.recovered[kind] = time.monotonic() - outage.started
                        pending.discard(kind)
                time.sleep(0.05)

        threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
        threads += [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
        workers = servers.worker_pids()
        t0 = time.monotonic()
        for t in threads:
            t.start()
        try:
            time.sleep(before)
            for i, (mode, down) in enumerate(outages):
                if i:
                    time.sleep(between)
                outage = Outage(mode)
                outage.stop_began = time.monotonic()
                pg.stop(mode)
                outage.stopped = time.monotonic()
                time.sleep(down)
                outage.start_began = time.monotonic()
                pg.start()
                outage.started = time.monotonic()
                probe_recovery(outage)
                events.append(outage)
            time.sleep(after)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout + 10)
        alive = [t for t in threads if t.is_alive()]
        if alive:
            raise RuntimeError(f"{len(alive)} load threads hung")

        # What the database holds, read after the load stopped.
        from sqlalchemy import create_engine, text

        engine = create_engine(pg.url)
        with engine.connect() as conn:
            once = {int(m[1:]) for (m,) in conn.execute(text(
                "SELECT error_message FROM errorlog WHERE error_type = 'OnceError'"))}
            once_counts = conn.execute(text(
                "SELECT coalesce(max(occurrence_count), 0) FROM errorlog WHERE error_type = 'OnceError'")).scalar()
            hot_total = conn.execute(text(
                "SELECT coalesce(sum(occurrence_count), 0) FROM errorlog WHERE error_type = 'HotError'")).scalar()
            all_total = conn.execute(text("SELECT coalesce(sum(occurrence_count), 0) FROM errorlog")).scalar()
            daily_total = conn.execute(text("SELECT coalesce(sum(count), 0) FROM errorlog_daily")).scalar()
        engine.dispose()
        logs = servers.log_text()
        workers_replaced = servers.worker_pids() != workers
        counters = _counter_mismatches(pg.url)

    return {"t0": t0, "answers": answers, "outages": events, "once_stored": once, "once_max_count": once_counts,
            "hot_stored": int(hot_total), "all_stored": int(all_total), "daily_stored": int(daily_total),
            "counter_mismatches": counters, "logs": logs, "workers_replaced": workers_replaced}


def _counter_mismatches(url: str) -> dict:
    import os

    from shared.db.engine import dispose_engines
    from shared.settings import reset_settings
    from tests.support.snapshot import counter_mismatches

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    reset_settings()
    try:
        return counter_mismatches()
    finally:
        dispose_engines()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        reset_settings()


def analyse(run: dict) -> dict:
    """Figures and problems of a restart run (problems empty when it passed)."""
    answers: list[Answer] = run["answers"]
    problems: list[str] = []
    figures: dict = {"answers": len(answers), "outages": []}

    bad = [a for a in answers if a.status == "transport" or (isinstance(a.status, int) and a.status >= 500 and a.status != 503)]
    if bad:
        problems.append(f"{len(bad)} answers were a 5xx other than 503 or none at all: "
                        f"{[(a.kind, a.status) for a in bad[:5]]}")
    for a in answers:
        if a.status == 503 and (a.error_code != "service_unavailable" or not (a.retry_after or "").isdigit()):
            problems.append(f"a 503 without the error shape or Retry-After: {a}")
            break
    slow = [a for a in answers if a.ended - a.started > 5.0]
    if slow:
        problems.append(f"{len(slow)} answers took over 5 s (longest {max(a.ended - a.started for a in slow):.1f} s)")

    for outage in run["outages"]:
        down = [a for a in answers if a.kind == "report" and a.started >= outage.stopped and a.ended <= outage.start_began]
        during = [a for a in answers if a.started < outage.started and a.ended > outage.stop_began]
        not_503 = [a for a in down if a.status != 503]
        if not down:
            problems.append(f"{outage.mode}: no report was answered while the database was down")
        if not_503:
            problems.append(f"{outage.mode}: {len(not_503)} reports during the outage were not 503: "
                            f"{[a.status for a in not_503[:5]]}")
        first_503 = min((a.ended for a in answers if a.kind == "report" and a.status == 503
                         and a.ended >= outage.stop_began), default=None)
        after = [a for a in answers if a.kind == "report" and a.started >= outage.started]
        first_ok = min((a.ended for a in after if a.status in (200, 201)), default=None)
        missing = {"report", *READS} - set(outage.recovered)
        if missing:
            problems.append(f"{outage.mode}: {sorted(missing)} did not serve again within 30 s")
        slow_recovery = {k: v for k, v in outage.recovered.items() if v > 5.0}
        if slow_recovery:
            problems.append(f"{outage.mode}: recovery over 5 s: {slow_recovery}")
        figures["outages"].append({
            "mode": outage.mode,
            "stop_seconds": round(outage.stopped - outage.stop_began, 2),
            "down_seconds": round(outage.start_began - outage.stopped, 2),
            "start_seconds": round(outage.started - outage.start_began, 2),
            "reports_while_down": len(down),
            "503_while_down": sum(a.status == 503 for a in down),
            "max_latency_while_down_ms": round(max((a.ended - a.started for a in down), default=0) * 1000, 1),
            "answers_during_transition": len(during),
            "first_503_after_stop_began_s": round(first_503 - outage.stop_began, 2) if first_503 else None,
            "seconds_of_503": round(max((a.ended for a in answers if a.kind == "report" and a.status == 503
                                         and outage.stop_began <= a.ended <= outage.started + 5), default=0)
                                    - (first_503 or 0), 2) if first_503 else 0,
            "first_report_2xx_after_start_s": round(first_ok - outage.started, 2) if first_ok else None,
            "recovered_s": {k: round(v, 2) for k, v in sorted(outage.recovered.items())},
        })

    if run["workers_replaced"]:
        problems.append("a function's gunicorn worker died and was replaced: the functions must serve "
                        "again without restarting")

    # No partial writes, nothing lost, nothing doubled.
    reports = [a for a in answers if a.kind == "report" and a.marker]
    ok_once = {a.marker[1] for a in reports if not a.marker[0] and a.status in (200, 201)}
    failed_once = {a.marker[1] for a in reports if not a.marker[0] and a.status not in (200, 201)}
    stored_once = run["once_stored"]
    lost = ok_once - stored_once
    phantom = stored_once - ok_once - failed_once
    ambiguous = stored_once & failed_once   # committed, but the answer was a 503 (connection cut after COMMIT)
    if lost:
        problems.append(f"{len(lost)} reports answered 2xx are not stored: {sorted(lost)[:10]}")
    if phantom:
        problems.append(f"{len(phantom)} stored reports were never sent: {sorted(phantom)[:10]}")
    if run["once_max_count"] > 1:
        problems.append("a report was counted twice")
    hot_ok = sum(1 for a in reports if a.marker[0] and a.status in (200, 201))
    hot_failed = sum(1 for a in reports if a.marker[0] and a.status not in (200, 201))
    if not hot_ok <= run["hot_stored"] <= hot_ok + hot_failed:
        problems.append(f"hot bugs count {run['hot_stored']} for {hot_ok} accepted reports")
    if run["all_stored"] != run["daily_stored"]:
        problems.append(f"day counters {run['daily_stored']} != occurrences {run['all_stored']}")
    if run["counter_mismatches"]:
        problems.append(f"bug counters out of step: {run['counter_mismatches']}")
    figures.update({
        "reports": len(reports),
        "reports_2xx": sum(a.status in (200, 201) for a in reports),
        "reports_503": sum(a.status == 503 for a in reports),
        "once_accepted": len(ok_once), "once_stored": len(stored_once),
        "committed_but_answered_503": len(ambiguous),
        "hot_accepted": hot_ok, "hot_stored": run["hot_stored"],
        "other_5xx": len(bad),
    })
    return {"figures": figures, "problems": problems}
