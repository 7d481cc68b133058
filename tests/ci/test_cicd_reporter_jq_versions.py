"""The reporter's jq program gives the same payload on jq 1.6 (Debian, this machine) and on
jq 1.7+ (Ubuntu runners, Alpine), whose regex and string builtins changed in places.

The system jq runs the real script (--dry-run); libjq 1.7+ (the `jq` Python binding) runs the
same program text, extracted from the script, with the same arguments and environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import jq
import pytest
import yaml

from tests.ci import test_cicd_reporter as reporter_tests
from tests.ci import test_cicd_reporter_secrets as secret_tests
from tests.ci.reporter_support import BASE_PATH, ROOT, SCRIPT, run_reporter

CORPUS = ROOT / "tests/ci/corpus"
PROGRAM = re.search(r"<<'JQ'\n(.*?)\nJQ\n", SCRIPT.read_text(), re.S).group(1)

CASES = {
    "secrets": ("deploy", "", secret_tests._log()[0], {**secret_tests.ENV_SECRETS, "SHORT_KEY": "abc"}),
    **{f"log {name}": (step, "", text, {}) for name, (step, text, _) in reporter_tests.LOGS.items()},
    "giant line": ("build", "", "".join(f"{i}你好🚀" for i in range(20_000)) + " END", {}),
    "wide lines": ("build", "", "\n".join(f"{i:04d} " + "é" * 600 for i in range(150)) + "\n", {}),
    "message": ("docker build", 'Authorization: Bearer abcdefghijkl and "q" $(x) \\ 你好\nline 2', "", {}),
    "crlf and ansi": ("tests", "", "\x1b[31mFAIL\x1b[0m x\r\n10%\r50%\r100%\r\nok\n", {}),
    **{f"corpus {case['log']}": (case["step"], "", (CORPUS / case["log"]).read_text(encoding="utf-8"), {})
       for case in yaml.safe_load((CORPUS / "cases.yaml").read_text())},
}


def test_the_binding_is_a_newer_jq():
    assert jq.compile('"  a "|trim').input_value(None).first() == "a"        # trim is jq 1.7.1+
    system = subprocess.run(["jq", "--version"], capture_output=True, text=True,
                            env={"PATH": BASE_PATH}).stdout.strip()
    assert system.startswith("jq-1."), system


@pytest.mark.parametrize("name", list(CASES))
def test_same_payload_on_jq_16_and_17(name, tmp_path, monkeypatch):
    step, message, log, env = CASES[name]
    log_file = tmp_path / "log.txt"
    log_file.write_text(log, encoding="utf-8")
    args = [step, "--dry-run", "--log-file", str(log_file)]
    run = run_reporter(["proj", *args, *(["--", message] if message else [])], env)
    assert run.returncode == 0, run
    system_payload = json.loads(run.stdout)
    # The step name's verdict, as bash hands it to jq: empty when the name is not telling
    # (a log-less run falls back to BuildError only then).
    bare = json.loads(run_reporter(["proj", step, "--dry-run"], env).stdout)["error"]["type"]

    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in {"PATH": BASE_PATH, "HOME": os.path.expanduser("~"), **env}.items():
        monkeypatch.setenv(key, value)
    named = dict(log=log, project="proj", step=step, message=message,
                 error_type="" if bare == "BuildError" else bare, timestamp=system_payload["timestamp"],
                 event_id=system_payload["event_id"],
                 workflow="", job="", run_id="", run_number="", run_url="", repository="", ref="",
                 sha="", actor="", has_log=True, max_bytes=65536)
    new_payload = jq.compile(PROGRAM, args=named).input_value(None).first()
    assert new_payload == system_payload
