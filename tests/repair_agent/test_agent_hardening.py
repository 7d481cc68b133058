"""The repair agent against what an adversarial review and a first-time user did (issue 11,
items 10, 12, 13): the real CLI in a subprocess, a live gateway on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.repair_agent.agent_support import Api, agent, agent_env, seed

ROOT = Path(__file__).resolve().parents[2]
PY = shlex.quote(sys.executable)
TOKENS = {"LOGCENTER_API_TOKENS": "agent=tok-agent-9f4c,alice=tok-alice-51d8"}
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")  # what must never reach the terminal


@pytest.fixture
def gw(live_gateway, db_url):
    return live_gateway(database_url=db_url, env=TOKENS)


def one_clean_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def statuses(api: Api) -> dict[int, str]:
    return {b["id"]: b["status"] for b in api.bugs()}


# ----------------------------------------------------------------------------- item 10

def test_repair_command_gets_a_minimal_environment_and_the_whole_bug(gw, tmp_path):
    long_message = "why it broke " * 100
    r = gw.report({"project_id": "shop", "error": {"type": "KeyError", "message": long_message,
                                                   "file_path": "shop/cart.py", "line_number": 12,
                                                   "stack_trace": "Traceback\n" + "  frame\n" * 500}},
                  headers={})
    bug_id = r.json()["id"]
    dump = tmp_path / "seen.json"
    script = tmp_path / "fix.py"
    script.write_text("import json, os, sys\n"
                      f"json.dump({{'env': dict(os.environ), 'bug': json.load(sys.stdin)}}, open({str(dump)!r}, 'w'))\n")
    env = agent_env(gw.url, token="tok-agent-9f4c", REPAIR_COMMAND=f"{PY} {shlex.quote(str(script))}",
                    SOME_SECRET="do-not-pass", OPENAI_API_KEY="sk-fixer", REPAIR_COMMAND_ENV="OPENAI_API_KEY")
    done = agent(["run", "--once"], env)
    assert done.returncode == 0, done.stderr
    seen = json.loads(dump.read_text())
    child = seen["env"]
    assert "LOG_CENTER_TOKEN" not in child and "SOME_SECRET" not in child
    assert not [v for v in child.values() if "tok-agent" in v]
    assert child["OPENAI_API_KEY"] == "sk-fixer" and child["PATH"] == os.environ["PATH"]
    assert child["LOG_CENTER_BUG_ID"] == str(bug_id) and child["LOG_CENTER_PROJECT_ID"] == "shop"
    assert set(child) - {"LOG_CENTER_BUG_ID", "LOG_CENTER_PROJECT_ID", "LOG_CENTER_URL", "LOG_CENTER_BUG_FILE",
                         "OPENAI_API_KEY", "PWD", "SHLVL", "_"} <= {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"} | {
        k for k in child if k.startswith("LC_")}
    # The pending list is a summary; the command still gets the whole bug (from the claim).
    assert seen["bug"]["error_message"] == long_message.strip() or seen["bug"]["error_message"] == long_message
    assert seen["bug"]["stack_trace"].count("frame") == 500
    assert Api(gw.url, "tok-alice-51d8").bug(bug_id)["status"] == "FIXED"


def test_repair_command_env_never_passes_the_token(gw):
    seed(gw, runtime=1, cicd=0, deployment=0)
    result = agent(["run", "--once", "--command", "true"],
                   agent_env(gw.url, token="tok-agent-9f4c", REPAIR_COMMAND_ENV="HOME,LOG_CENTER_TOKEN"))
    assert result.returncode == 2
    assert "never gets Log Center's API token" in one_clean_line(result.stderr)


def test_control_characters_in_bug_fields_are_escaped_in_list_show_and_run(gw, tmp_path):
    hostile = "\x1b]0;owned\x07\x1b[2J\r\x9b31m\u202egnp.exe"
    r = gw.report({"project_id": "shop", "environment": "prod\x1b[31m",
                   "error": {"type": f"Boom{hostile}", "message": f"wiped {hostile}\nsecond line",
                             "file_path": f"app/\x1b[8mx.py", "line_number": 3,
                             "stack_trace": f"Traceback\n  File {hostile}\n"},
                   "context": {f"key{hostile}": f"value{hostile}", "nested": {"k": hostile}}})
    bug_id = r.json()["id"]
    env = agent_env(gw.url, token="tok-agent-9f4c")
    for args in (["list"], ["list", "--json"], ["show", str(bug_id)], ["show", str(bug_id), "--json"]):
        result = agent(args, env)
        assert result.returncode == 0, (args, result.stderr)
        assert not RAW.findall(result.stdout), (args, RAW.findall(result.stdout))
        if "--json" in args:
            json.loads(result.stdout)  # still the same JSON value
        else:
            assert "\\x1b]0;owned\\x07\\x1b[2J" in result.stdout, args
    shown = agent(["show", str(bug_id), "--json"], env)
    assert json.loads(shown.stdout)["error_type"] == f"Boom{hostile}"  # escaped on screen, intact as data

    script = tmp_path / "fail.sh"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    run = agent(["run", "--once", "--command", str(script)], env)
    assert run.returncode == 0, run.stderr
    assert "Boom\\x1b]0;owned" in run.stdout
    assert not RAW.findall(run.stdout + run.stderr)


# ----------------------------------------------------------------------------- item 12

@pytest.mark.parametrize("token", ["\u2026", "agent=\u2026", "tok agent", "t\u00f6k\u00e9n", "tok\x01x", "..."])
def test_a_token_that_cannot_be_one_is_a_one_line_error(gw, token):
    ids = seed(gw, runtime=1, cicd=0, deployment=0)
    for args in (["list"], ["show", str(ids.runtime[0])], ["claim", str(ids.runtime[0])],
                 ["run", "--once", "--command", "true"]):
        result = agent(args, agent_env(gw.url, token=token))
        assert result.returncode == 2, (token, args, result.stdout, result.stderr)
        line = one_clean_line(result.stderr)
        assert "LOG_CENTER_TOKEN is not a token" in line and "agent=" in line, line
        assert not RAW.findall(line)
    assert Api(gw.url, "tok-alice-51d8").bug(ids.runtime[0])["status"] == "NEW"


# ----------------------------------------------------------------------------- item 13

@pytest.mark.parametrize("command, says", [
    ("./my-fixer.sh", "./my-fixer.sh: no such file"),
    ("./my-fixer.sh --apply", "./my-fixer.sh: no such file"),
    ("FIXER_MODE=fast ./my-fixer.sh", "./my-fixer.sh: no such file"),
    ("/nonexistent/fix-it", "/nonexistent/fix-it: no such file"),
    ("no-such-program-4711 --flag", "no-such-program-4711: command not found on PATH"),
    ("NOTEXEC", "not executable (chmod +x"),
    ("./fix 'unbalanced", "not valid shell syntax"),
])
def test_a_command_that_cannot_run_is_refused_before_anything_is_claimed(gw, tmp_path, command, says):
    ids = seed(gw, runtime=3, cicd=0, deployment=0)
    api = Api(gw.url, "tok-alice-51d8")
    before = statuses(api)
    plain = tmp_path / "plain.sh"
    plain.write_text("#!/bin/sh\nexit 0\n")
    plain.chmod(0o644)
    command = command.replace("NOTEXEC", str(plain))
    for args in (["run"], ["run", "--once"], ["run", "--exit-when-idle"]):
        result = agent(args, agent_env(gw.url, token="tok-agent-9f4c", REPAIR_COMMAND=command))
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        line = one_clean_line(result.stderr)
        assert "REPAIR_COMMAND cannot run" in line and says in line, line
    assert statuses(api) == before
    assert all(len(api.bug(i)["history"]) == 0 for i in ids.runtime)  # nothing was claimed


@pytest.mark.parametrize("make, says", [
    (lambda d: f"cd {d} && ./missing.sh", "exit status 127: command not found"),
    (lambda d: f"cd {d} && ./plain.sh", "exit status 126: not executable"),
])
def test_127_and_126_are_explained_in_the_note(gw, tmp_path, make, says):
    ids = seed(gw, runtime=1, cicd=0, deployment=0)
    (tmp_path / "plain.sh").write_text("#!/bin/sh\nexit 0\n")
    result = agent(["run", "--once"], agent_env(gw.url, token="tok-agent-9f4c", REPAIR_COMMAND=make(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert says in result.stdout
    bug = Api(gw.url, "tok-alice-51d8").bug(ids.runtime[0])
    assert bug["status"] == "FIX_FAILED" and says in bug["history"][0]["note"]


def test_readme_example_is_safe_to_copy():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Repair agent"):]
    section = section[: section.index("\n## ", 4)]
    assert "LOG_CENTER_TOKEN=\u2026" not in section and "LOG_CENTER_TOKEN=..." not in section
    token = re.search(r"LOG_CENTER_TOKEN=(\S+)", section).group(1)
    assert re.fullmatch(r"[!-~]+", token), token
    assert "agent=" in section and "LOGCENTER_API_TOKENS" in section
    runs = [line for line in section.splitlines() if "repair_agent run" in line]
    assert runs and all("--once" in line or "--exit-when-idle" in line for line in runs), runs
