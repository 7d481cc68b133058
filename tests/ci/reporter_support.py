"""Helpers for the CI reporter tests (fixtures are in conftest.py): run the real ci/report-cicd-error.sh with bash.

The script runs with a controlled environment: PATH is /usr/bin:/bin (no venv, so the jq
and curl found are the system's, as on a CI runner), no locale variables (the C locale,
the harshest for unicode) and only the variables a test passes. A shared gateway serves
the tests that do not need a special server; each test uses its own project_id.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "ci" / "report-cicd-error.sh"
BASE_PATH = "/usr/bin:/bin"

# The tools the script needs must be where a CI runner has them; a missing one fails loudly.
for _tool in ("bash", "curl", "jq", "tail"):
    if shutil.which(_tool, path=BASE_PATH) is None:
        raise RuntimeError(f"{_tool} is not on {BASE_PATH}: the CI reporter tests need it")

_counter = itertools.count(1)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def bug_id(self) -> int:
        m = re.search(r"as bug (\d+) ", self.stderr)
        assert m, f"no bug id in the notice: {self.stderr!r}"
        return int(m.group(1))


def run_reporter(args: list[str], env: dict[str, str] | None = None, *, input: bytes | None = None,
                 stdin=None, timeout: float = 30, cwd: Path = ROOT, path: str = BASE_PATH,
                 script: Path | str = SCRIPT, wrap: str | None = None) -> Run:
    """Run `bash ci/report-cicd-error.sh ARGS` with only PATH, HOME and `env` set.

    `wrap`, if given, is a bash snippet run instead, with "$@" being the script's arguments
    (for measuring what the script's processes read, for example).
    """
    full_env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp")}
    full_env.update(env or {})
    if wrap is None:
        cmd = ["/usr/bin/bash", str(script), *args]
    else:
        cmd = ["/usr/bin/bash", "-c", wrap, "wrap", str(script), *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=full_env, cwd=cwd, input=input,
                          stdin=stdin if input is None else None, capture_output=True, timeout=timeout)
    elapsed = time.monotonic() - start
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"), elapsed)


def unique_project(prefix: str = "ci") -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


def get_bug(base_url: str, bug_id: int) -> dict:
    r = requests.get(f"{base_url}/api/v1/bugs/{bug_id}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def bugs_of(base_url: str, project_id: str) -> list[dict]:
    r = requests.get(f"{base_url}/api/v1/bugs", params={"project_id": project_id, "page_size": 200},
                     timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["items"]
