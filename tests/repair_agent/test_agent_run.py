"""`python -m repair_agent run`: claiming, the REPAIR_COMMAND contract, timeouts, signals, races."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time

import pytest

from tests.repair_agent.agent_support import Api, agent, agent_env, pid_gone, seed, start_agent, wait_for
from tests.support.databases import truncate_all

PY = shlex.quote(sys.executable)


def history_to(bug: dict, status: str) -> list[dict]:
    return [h for h in bug["history"] if h["to_status"] == status]


def assert_nothing_fixing_without_note(api: Api) -> None:
    for bug in api.bugs(status="FIXING"):
        assert api.bug(bug["id"])["history"][0]["note"], bug


def test_success_failure_and_timeout_each_record_status_and_note(gateway, api, tmp_path):
    ids = seed(gateway, runtime=3, cicd=1, deployment=1)
    ok_bug, failing_bug, hanging_bug = ids.runtime
    env = agent_env(gateway.url)

    # 1. succeeds: reads the bug from stdin, checks the env vars, prints a lot (only the tail is kept)
    script = tmp_path / "fix.py"
    script.write_text(
        "import json, os, sys\n"
        "bug = json.load(sys.stdin)\n"
        "assert str(bug['id']) == os.environ['LOG_CENTER_BUG_ID'], 'id mismatch'\n"
        "assert bug['project_id'] == os.environ['LOG_CENTER_PROJECT_ID']\n"
        "assert json.load(open(os.environ['LOG_CENTER_BUG_FILE'])) == bug\n"
        f"open({str(tmp_path / 'seen.json')!r}, 'w').write(json.dumps(bug))\n"
        "for i in range(5000): print('line', i)\n"
        "print('patched', bug['file_path'])\n")
    first = agent(["run", "--once"], {**env, "REPAIR_COMMAND": f"{PY} {shlex.quote(str(script))}"})
    assert first.returncode == 0, first.stderr
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["id"] == ok_bug and seen["status"] == "FIXING" and seen["source"] == "runtime"
    assert seen["error_type"] == "RuntimeFault0" and seen["stack_trace"].startswith("Traceback")
    bug = api.bug(ok_bug)
    assert bug["status"] == "FIXED", bug["history"]
    note = bug["history"][0]["note"]
    assert note.startswith("repair command succeeded (exit status 0")
    assert note.rstrip().endswith("patched app/module_0.py") and "line 4999" in note
    assert "line 1\n" not in note and len(note) <= 4096
    assert history_to(bug, "FIXING")[0]["note"].startswith("claimed by the repair agent")
    assert [api.bug(i)["status"] for i in (failing_bug, hanging_bug)] == ["NEW", "NEW"]  # --once: one bug
    assert f"bug {ok_bug}: FIXED" in first.stdout

    # 2. fails: a non-zero exit is FIX_FAILED, stderr is part of the captured output
    second = agent(["run", "--once", "--command", "echo trying; echo 'compiler says no' >&2; exit 3"], env)
    assert second.returncode == 0, second.stderr
    bug = api.bug(failing_bug)
    assert bug["status"] == "FIX_FAILED"
    note = bug["history"][0]["note"]
    assert note.startswith("repair command failed (exit status 3") and "trying\ncompiler says no" in note

    # 3. hangs: killed after --timeout, with the children it started (whole process group)
    pids = tmp_path / "pids"
    started = time.monotonic()
    third = agent(["run", "--once", "--timeout", "1", "--command",
                   f"echo working on it; sleep 300 & echo $! > {pids}; echo $$ >> {pids}; sleep 300"], env)
    took = time.monotonic() - started
    assert third.returncode == 0, third.stderr
    assert took < 12, took
    bug = api.bug(hanging_bug)
    assert bug["status"] == "FIX_FAILED"
    note = bug["history"][0]["note"]
    assert note.startswith("repair command timed out after 1 s") and "working on it" in note
    for pid in map(int, pids.read_text().split()):
        wait_for(lambda: pid_gone(pid), 5, f"process {pid} of the timed-out command to be gone")

    # nothing else was touched: the CI/CD and deployment bugs are still NEW, and the queue is empty
    assert {api.bug(i)["status"] for i in ids.cicd + ids.deployment} == {"NEW"}
    idle = agent(["run", "--once", "--command", "exit 0"], env)
    assert idle.returncode == 0 and "no pending runtime bugs" in idle.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_loops_started_at_once_never_take_the_same_bug(backend, live_gateway, request, tmp_path):
    if backend == "postgresql":
        pg_url = request.getfixturevalue("pg_url")
        truncate_all(pg_url)
        gw = live_gateway(database_url=pg_url)
    else:
        gw = live_gateway()
    api = Api(gw.url)
    ids = seed(gw, runtime=20, cicd=3, deployment=3)

    def loop(name: str):
        record = tmp_path / f"{name}.ids"
        command = (f"{PY} -c 'import json, sys; print(json.load(sys.stdin)[\"id\"])' >> {record} "
                   f"&& sleep 0.1")
        env = agent_env(gw.url, REPAIR_COMMAND=command)
        proc = start_agent(["run", "--exit-when-idle", "--poll", "0.2"], env,
                           tmp_path / f"{name}.out", tmp_path / f"{name}.err")
        return proc, record

    loops = [loop("a"), loop("b")]
    try:
        for proc, _ in loops:
            assert proc.wait(30) == 0, (tmp_path / "a.err").read_text() + (tmp_path / "b.err").read_text()
    finally:
        for proc, _ in loops:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)

    taken = [[int(x) for x in record.read_text().split()] if record.exists() else [] for _, record in loops]
    everything = taken[0] + taken[1]
    assert len(everything) == len(set(everything)), f"a bug was handed out twice: {taken}"
    assert taken[0] and taken[1], f"both loops should have found work: {taken}"
    assert sorted(everything) == sorted(ids.runtime)
    for bug_id in ids.runtime:
        bug = api.bug(bug_id)
        assert bug["status"] == "FIXED"
        assert len(history_to(bug, "FIXING")) == 1, bug["history"]
    assert {api.bug(i)["status"] for i in ids.cicd + ids.deployment} == {"NEW"}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_repair_returns_the_bug_with_a_note(sig, gateway, api, tmp_path):
    ids = seed(gateway, runtime=2, cicd=0, deployment=0)
    marker = tmp_path / "started"
    command = f"echo started the fix; echo $$ > {marker}.tmp; mv {marker}.tmp {marker}; sleep 300"
    proc = start_agent(["run", "--command", command, "--poll", "0.2"], agent_env(gateway.url),
                       tmp_path / "out", tmp_path / "err")
    try:
        wait_for(marker.exists, 15, "the repair command to start")
        command_pid = int(marker.read_text())
        os.killpg(proc.pid, sig)  # like a terminal's Ctrl-C: the agent's whole process group
        assert proc.wait(15) == 128 + sig
    finally:
        if proc.poll() is None:
            proc.kill()
    wait_for(lambda: pid_gone(command_pid), 5, "the repair command to be stopped")
    assert "Traceback" not in (tmp_path / "err").read_text()
    assert f"stopped by {sig.name}" in (tmp_path / "out").read_text()

    bug = api.bug(ids.runtime[0])
    assert bug["status"] == "PENDING_FIX"
    note = bug["history"][0]["note"]
    assert note.startswith(f"interrupted: the repair agent got {sig.name}") and "started the fix" in note
    assert api.bug(ids.runtime[1])["status"] == "NEW"  # the loop stopped; the next bug was not taken
    assert api.bugs(status="FIXING") == []
    assert_nothing_fixing_without_note(api)


def test_ctrl_c_while_waiting_for_work_exits_promptly(gateway, api, tmp_path):
    proc = start_agent(["run", "--command", "true", "--poll", "30"], agent_env(gateway.url),
                       tmp_path / "out", tmp_path / "err")
    try:
        time.sleep(1.0)  # it has looked at the empty queue and is waiting for the next poll
        assert proc.poll() is None, (tmp_path / "err").read_text()
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(10) == 130
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "stopped by SIGINT: 0 bugs handled" in (tmp_path / "out").read_text()
    assert (tmp_path / "err").read_text() == ""


def test_max_stops_after_n_bugs(gateway, api):
    ids = seed(gateway, runtime=5, cicd=0, deployment=0)
    result = agent(["run", "--max", "2", "--command", "exit 0"], agent_env(gateway.url))
    assert result.returncode == 0, result.stderr
    assert "done: 2 bugs handled (2 FIXED)" in result.stdout
    assert [api.bug(i)["status"] for i in ids.runtime] == ["FIXED", "FIXED", "NEW", "NEW", "NEW"]


def test_project_filter_and_fix_failed_bugs_are_not_retried(gateway, api):
    ids = seed(gateway, runtime=4, cicd=0, deployment=0)  # projects alternate shop, shop_api
    env = agent_env(gateway.url)
    result = agent(["run", "--exit-when-idle", "--project", "shop_api", "--command", "exit 1"], env)
    assert result.returncode == 0, result.stderr
    assert [api.bug(i)["status"] for i in ids.runtime] == ["NEW", "FIX_FAILED", "NEW", "FIX_FAILED"]
    assert "done: 2 bugs handled (2 FIX_FAILED)" in result.stdout


def test_a_status_set_by_someone_else_during_the_repair_is_kept(gateway, api, tmp_path):
    ids = seed(gateway, runtime=1, cicd=0, deployment=0)
    command = (f"{PY} -c \"import os, requests; requests.patch(os.environ['LOG_CENTER_URL'] + '/api/v1/bugs/' "
               f"+ os.environ['LOG_CENTER_BUG_ID'] + '/status', json={{'status': 'IGNORED', 'note': 'not a bug'}}, "
               f"timeout=10).raise_for_status()\"")
    result = agent(["run", "--once", "--command", command], agent_env(gateway.url))
    assert result.returncode == 0, result.stderr
    bug = api.bug(ids.runtime[0])
    assert bug["status"] == "IGNORED" and bug["history"][0]["note"] == "not a bug"
    assert "set to IGNORED by someone else" in result.stderr


def test_server_gone_while_waiting_is_a_warning_then_ctrl_c(live_gateway, tmp_path):
    gw = live_gateway()
    proc = start_agent(["run", "--command", "true", "--poll", "0.2"], agent_env(gw.url),
                       tmp_path / "out", tmp_path / "err")
    try:
        time.sleep(0.8)
        assert proc.poll() is None, (tmp_path / "err").read_text()
        gw.stop()
        wait_for(lambda: "cannot reach Log Center" in (tmp_path / "err").read_text(), 10, "a warning")
        assert proc.poll() is None  # a long-running loop rides out an outage
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(10) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "err").read_text()
    assert "Traceback" not in err and "trying again in 0.2 s" in err
