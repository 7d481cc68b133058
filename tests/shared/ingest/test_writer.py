"""Group commit (shared/ingest/writer.py) on both databases: concurrent reports share
transactions, each gets its own answer, storms coalesce, failures stay contained."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text

from shared.db.engine import get_engine
from shared.ingest import batch, store, writer
from shared.ingest.validation import validate_report
from tests.functions.conftest import cicd, deployment, runtime
from tests.support.snapshot import counter_mismatches, stored_rows


class Gate:
    """Holds the first batch written after `arm()` open until `release` is set, so the
    reports sent meanwhile queue up behind it; records every batch's size from then on."""

    def __init__(self) -> None:
        self.release, self.entered = threading.Event(), threading.Event()
        self.calls: list[int] = []
        self.armed = False

    def __iter__(self):
        return iter((self.release, self.entered, self.calls))


@pytest.fixture
def gate(monkeypatch, db_url):
    g = Gate()
    real = batch.write

    def held(conn, items, **kw):
        if g.armed:
            g.calls.append(len(items))
            if len(g.calls) == 1:
                g.entered.set()
                assert g.release.wait(10)
        return real(conn, items, **kw)

    monkeypatch.setattr(batch, "write", held)
    _armed.append(g)
    yield g
    _armed.remove(g)


_armed: list[Gate] = []


def _send_all(payloads: list[dict], release: threading.Event, entered: threading.Event,
              first: dict | None = None) -> list:
    """Send `first` (held in the first batch), then every payload at once; release; answers."""
    for g in _armed:
        g.armed = True
    answers: dict[int, object] = {}

    def send(i: int, payload: dict) -> None:
        try:
            answers[i] = store.ingest(validate_report(payload))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            answers[i] = exc

    opener = threading.Thread(target=send, args=(-1, first or runtime(project="opener", line=1)))
    opener.start()
    assert entered.wait(10)
    threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(payloads)]
    for t in threads:
        t.start()
    while len(writer.current()._queue) < len(payloads):  # every report queued behind the held batch
        threading.Event().wait(0.005)
    release.set()
    for t in threads + [opener]:
        t.join(20)
    return [answers[i] for i in range(len(payloads))]


def test_a_storm_is_one_row_update_and_every_report_gets_its_own_count(gate):
    release, entered, calls = gate
    answers = _send_all([runtime(project="storm", message=f"m{i}") for i in range(40)], release, entered)
    assert calls == [1, 40]  # the opener alone, then the 40 queued behind it in one batch
    assert sorted(a.occurrence_count for a in answers) == list(range(1, 41))
    assert [a.is_new for a in answers].count(True) == 1 and len({a.id for a in answers}) == 1
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT occurrence_count FROM errorlog WHERE project_id = 'storm'")).scalar() == 40
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM occurrence o JOIN errorlog b ON b.id = o.bug_id "
                                                "WHERE b.project_id = 'storm' ORDER BY seq"))]
        daily = conn.execute(text("SELECT sum(count) FROM errorlog_daily WHERE project_id = 'storm'")).scalar()
    assert seqs == list(range(1, 41)) and daily == 40
    assert counter_mismatches() == {}


def test_occurrences_of_a_coalesced_group_respect_the_per_bug_cap(gate, monkeypatch):
    monkeypatch.setenv("LOGCENTER_OCCURRENCES_PER_BUG", "5")
    from shared.settings import reset_settings

    reset_settings()
    release, entered, _ = gate
    _send_all([runtime(project="cap", message=f"m{i}") for i in range(12)], release, entered)
    with get_engine().connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM occurrence o JOIN errorlog b ON b.id = o.bug_id "
                                                "WHERE b.project_id = 'cap' ORDER BY seq"))]
    assert seqs == [8, 9, 10, 11, 12]


def test_a_batch_mixes_new_bugs_counts_and_a_regression(gate, function_client):
    old = store.ingest(validate_report(runtime(project="mix", line=7)))
    function_client("bugs").patch(f"/api/v1/bugs/{old.id}/status", json={"status": "FIXED"})
    release, entered, calls = gate
    payloads = [runtime(project="mix", line=7), runtime(project="mix", line=7)] + \
               [runtime(project="mix", line=100 + i) for i in range(5)]
    answers = _send_all(payloads, release, entered)
    assert calls[-1] == 7
    regression = [a for a in answers if a.id == old.id]
    assert sorted(a.action for a in regression) == ["counted", "reopened"]
    assert sorted(a.occurrence_count for a in regression) == [2, 3]
    assert {a.status for a in regression} == {"NEW"}
    assert [a.action for a in answers[2:]] == ["created"] * 5
    with get_engine().connect() as conn:
        history = conn.execute(text("SELECT count(*) FROM errorlog_status_history WHERE bug_id = :b "
                                    "AND note LIKE 'regression%'"), {"b": old.id}).scalar()
    assert history == 1
    assert counter_mismatches() == {}


def test_deployment_rescans_and_repeated_event_ids_wait_for_the_next_batch(gate):
    release, entered, calls = gate
    event = uuid.uuid4().hex
    crash = deployment(project="dep", pod="api-1", restarts=4)
    payloads = [crash, crash, runtime(project="ev", event_id=event), runtime(project="ev", event_id=event)]
    answers = _send_all(payloads, release, entered)
    assert calls[1:] == [2, 2]  # one of each pair, then the other
    assert sorted(a.action for a in answers[:2]) == ["created", "rescan"]
    assert {a.occurrence_count for a in answers[:2]} == {1}
    assert sorted(a.action for a in answers[2:]) == ["created", "duplicate"]
    assert counter_mismatches() == {}


def test_an_unavailable_database_fails_the_whole_batch_and_stores_none(gate, monkeypatch):
    release, entered, calls = gate
    held = batch.write

    def failing(conn, items, **kw):
        outcomes = held(conn, items, **kw)
        if len(items) > 1:  # the statements ran; the commit must still not happen
            raise ConnectionResetError("database went away mid-batch")
        return outcomes

    monkeypatch.setattr(batch, "write", failing)
    before = stored_rows()
    answers = _send_all([runtime(project="down", line=i) for i in range(6)], release, entered)
    assert calls == [1, 6]  # not retried one by one: the database is down for all of them
    assert all(isinstance(a, ConnectionResetError) for a in answers)
    new_rows = [r for r in stored_rows()["errorlog"] if r not in before["errorlog"]]
    assert [r[1] for r in new_rows] == ["opener"]
    assert counter_mismatches() == {}


def test_one_bad_report_fails_alone(gate, monkeypatch):
    release, entered, calls = gate
    held = batch.write

    def poison(conn, items, **kw):
        if any(i.report.error_type == "Poison" for i in items):
            raise ValueError("this report cannot be stored")
        return held(conn, items, **kw)

    monkeypatch.setattr(batch, "write", poison)
    payloads = [runtime(project="pz", line=i) for i in range(4)] + [runtime(project="pz", type_="Poison")]
    answers = _send_all(payloads, release, entered)
    assert isinstance(answers[-1], ValueError)
    assert [a.action for a in answers[:4]] == ["created"] * 4
    assert counter_mismatches() == {}


def test_alerts_and_releases_see_every_report_of_a_coalesced_batch(gate, function_client):
    """A storm batch is one row update, yet the spike rule counts each report (one alert
    when the third arrives, then the throttle) and the release counts each new CI bug."""
    rule = {"name": "storm", "project_id": "al", "sources": ["runtime", "cicd"], "min_level": "DEBUG",
            "triggers": {"new_bug": False, "regression": False, "spike": {"count": 3, "minutes": 5}},
            "channel": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}, "throttle_minutes": 60}
    assert function_client("alerts").post("/api/v1/alerts", json=rule).status_code == 201
    release, entered, calls = gate
    ci = [cicd(project="al", job=f"j{i}", commit_sha="9f2c1e0aa") | {"version": "1.4.0"} for i in range(3)]
    answers = _send_all([runtime(project="al", message=f"m{i}") for i in range(5)] + ci, release, entered)
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert calls[-1] == 8 and sorted(a.occurrence_count for a in answers[:5]) == [1, 2, 3, 4, 5]
    assert [a.alerts for a in answers[:5]].count(1) == 1 and sum(a.alerts for a in answers) == 1
    with get_engine().connect() as conn:
        kinds = [r[0] for r in conn.execute(text("SELECT kind FROM alert_delivery"))]
        failures = conn.execute(text("SELECT cicd_failures FROM release WHERE project_id = 'al' "
                                     "AND version = '1.4.0'")).scalar()
    assert kinds == ["spike"] and failures == 3


def test_a_batch_of_new_bugs_counts_each_once_in_its_release_and_environment(gate):
    """The batch's release work is one resolve per release and, on PostgreSQL, one statement
    for every link and counter: the counters still equal a recount of the links."""
    release, entered, calls = gate
    payloads = [runtime(project="rel", line=i, version="2.0.0", environment="prod" if i % 2 else "staging")
                for i in range(6)]
    payloads += [runtime(project="rel", line=100 + i, version="2.0.1", environment="prod") for i in range(3)]
    ci = cicd(project="rel", job="build", commit_sha="abcdef1234") | {"version": "2.0.2"}
    payloads += [ci, ci]  # one CI bug reported twice in the batch: linked and counted once
    answers = _send_all(payloads, release, entered)
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert calls[-1] == len(payloads)
    with get_engine().connect() as conn:
        releases = {r.version: (r.new_runtime_bugs, r.cicd_failures) for r in conn.execute(text(
            "SELECT version, new_runtime_bugs, cicd_failures FROM release WHERE project_id = 'rel'"))}
        envs = {(r.version, r.environment): r.new_runtime_bugs for r in conn.execute(text(
            "SELECT r.version, e.environment, e.new_runtime_bugs FROM release_environment e "
            "JOIN release r ON r.id = e.release_id WHERE r.project_id = 'rel'"))}
        recount = conn.execute(text(
            "SELECT count(*) FROM release r WHERE r.project_id = 'rel' AND (r.new_runtime_bugs, r.cicd_failures) <> "
            "(SELECT count(*) FILTER (WHERE kind = 'new_runtime_bug'), count(*) FILTER (WHERE kind = 'cicd_failure') "
            " FROM release_bug b WHERE b.release_id = r.id)")).scalar()
    assert releases == {"2.0.0": (6, 0), "2.0.1": (3, 0), "2.0.2": (0, 1)}
    assert envs == {("2.0.0", "prod"): 3, ("2.0.0", "staging"): 3, ("2.0.1", "prod"): 3}
    assert recount == 0
