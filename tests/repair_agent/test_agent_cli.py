"""`python -m repair_agent list / show / claim / update` against a live gateway, and its errors."""

from __future__ import annotations

import json

from tests.repair_agent.agent_support import Api, agent, agent_env, seed
from tests.support.gateway import free_port


def one_clean_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_list_shows_only_runtime_bugs(gateway, api):
    ids = seed(gateway, runtime=3, cicd=2, deployment=2)
    env = agent_env(gateway.url)

    table = agent(["list"], env)
    assert table.returncode == 0, table.stderr
    body, _, summary = table.stdout.partition("\n\n")
    header, *lines = body.splitlines()
    assert header.split()[:3] == ["ID", "STATUS", "LEVEL"]
    rows = {int(line.split()[0]): line for line in lines}
    assert sorted(rows) == ids.runtime
    for i, bug_id in enumerate(ids.runtime):
        assert f"RuntimeFault{i}" in rows[bug_id] and f"app/module_{i}.py:{10 + i}" in rows[bug_id]
        assert "NEW" in rows[bug_id]
    assert "DockerBuildError" not in table.stdout and "CrashLoopBackOff" not in table.stdout
    assert summary.strip() == "3 pending runtime bugs"

    as_json = agent(["list", "--json"], env)
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert [b["id"] for b in answer["items"]] == ids.runtime and answer["total"] == 3
    assert {b["source"] for b in answer["items"]} == {"runtime"}

    only = json.loads(agent(["list", "--project", "shop_api", "--json"], env).stdout)
    assert [b["id"] for b in only["items"]] == [ids.runtime[1]]

    # fixed bugs leave the queue; the CLI says so when nothing is left in a project
    assert agent(["update", str(ids.runtime[1]), "FIXED"], env).returncode == 0
    empty = agent(["list", "--project", "shop_api"], env)
    assert empty.returncode == 0 and "no pending runtime bugs in shop_api" in empty.stdout
    limited = agent(["list", "--limit", "1"], env)
    assert "2 pending runtime bugs (showing the oldest 1" in limited.stdout


def test_show_claim_update(gateway, api):
    ids = seed(gateway, runtime=2, cicd=1, deployment=1)
    env = agent_env(gateway.url)
    first, second = ids.runtime

    shown = agent(["show", str(ids.cicd[0])], env)
    assert shown.returncode == 0, shown.stderr
    assert "[cicd]" in shown.stdout and "DockerBuildError0" in shown.stdout
    assert "job_name: job0" in shown.stdout and "https://git.example/run/1" in shown.stdout
    assert json.loads(agent(["show", str(first), "--json"], env).stdout)["error_type"] == "RuntimeFault0"

    claimed = agent(["claim", str(first), "--note", "taking it by hand"], env)
    assert claimed.returncode == 0, claimed.stderr
    assert f"bug {first}: claimed, now FIXING" in claimed.stdout
    bug = api.bug(first)
    assert bug["status"] == "FIXING" and bug["history"][0]["note"] == "taking it by hand"

    again = agent(["claim", str(first)], env)
    assert again.returncode == 1
    assert "409" in one_clean_line(again.stderr) and "FIXING" in again.stderr

    not_runtime = agent(["claim", str(ids.deployment[0])], env)
    assert not_runtime.returncode == 1 and "not auto-repairable" in one_clean_line(not_runtime.stderr)
    assert api.bug(ids.deployment[0])["status"] == "NEW"

    updated = agent(["update", str(first), "fixed", "--note", "patched app/module_0.py"], env)
    assert updated.returncode == 0, updated.stderr
    assert f"bug {first}: FIXING → FIXED" in updated.stdout
    bug = api.bug(first)
    assert bug["status"] == "FIXED"
    assert bug["history"][0]["note"] == "patched app/module_0.py" and bug["history"][0]["to_status"] == "FIXED"

    history = agent(["show", str(first)], env).stdout
    assert "FIXING → FIXED" in history and "patched app/module_0.py" in history

    into_fixing = agent(["update", str(second), "FIXING"], env)
    assert into_fixing.returncode == 1 and "409" in one_clean_line(into_fixing.stderr)
    bogus = agent(["update", str(second), "BOGUS"], env)
    assert bogus.returncode == 1 and "must be one of" in one_clean_line(bogus.stderr)
    assert api.bug(second)["status"] == "NEW"

    missing = agent(["show", "999999"], env)
    assert missing.returncode == 1 and "404" in one_clean_line(missing.stderr)


def test_unreachable_server_is_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env = agent_env(url, REPAIR_COMMAND=f"touch {tmp_path / 'ran'}")
    for args in (["list"], ["list", "--json"], ["show", "1"], ["claim", "1"], ["update", "1", "FIXED"],
                 ["run"], ["run", "--once"]):
        result = agent(args, env)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = one_clean_line(result.stderr)
        assert "cannot reach Log Center" in line and url in line, line
    assert not (tmp_path / "ran").exists()


def test_wrong_or_missing_token_is_one_clear_line(live_gateway):
    gw = live_gateway(env={"LOGCENTER_API_TOKENS": "agent=tok-agent,alice=tok-alice"})
    seeded = seed(gw, runtime=1, cicd=0, deployment=0)
    bug_id = seeded.runtime[0]

    for args in (["list"], ["claim", str(bug_id)], ["run", "--once", "--command", "true"]):
        wrong = agent(args, agent_env(gw.url, token="not-the-token"))
        assert wrong.returncode == 1, (args, wrong.stdout)
        line = one_clean_line(wrong.stderr)
        assert "401" in line and "refused LOG_CENTER_TOKEN" in line, line

    missing = agent(["list"], agent_env(gw.url))
    assert missing.returncode == 1 and "set LOG_CENTER_TOKEN" in one_clean_line(missing.stderr)

    api = Api(gw.url, "tok-alice")
    assert api.bug(bug_id)["status"] == "NEW"  # the refused calls changed nothing

    ok = agent(["claim", str(bug_id)], agent_env(gw.url, token="tok-agent"))
    assert ok.returncode == 0, ok.stderr
    assert api.bug(bug_id)["history"][0]["actor"] == "agent"  # the token's name is the actor


def test_configuration_errors_exit_2_before_touching_anything(gateway, api, tmp_path):
    ids = seed(gateway, runtime=1, cicd=0, deployment=0)
    bad_url = agent(["list"], agent_env("localhost:8080"))
    assert bad_url.returncode == 2 and "LOG_CENTER_URL" in one_clean_line(bad_url.stderr)

    no_command = agent(["run", "--once"], agent_env(gateway.url))
    assert no_command.returncode == 2 and "REPAIR_COMMAND" in one_clean_line(no_command.stderr)
    assert api.bug(ids.runtime[0])["status"] == "NEW"

    usage = agent(["run", "--max", "0", "--command", "true"], agent_env(gateway.url))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert api.bug(ids.runtime[0])["status"] == "NEW"
