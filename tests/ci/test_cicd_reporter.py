"""ci/report-cicd-error.sh against a live gateway: error types, context, dedup, round trips, log tails."""

from __future__ import annotations

import json
import re

import pytest

from tests.ci.reporter_support import bugs_of, get_bug, run_reporter, unique_project

GITEA_ENV = {
    "GITHUB_WORKFLOW": "build & test",
    "GITHUB_JOB": "build",
    "GITHUB_SHA": "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912",
    "GITHUB_REF": "refs/heads/feature/ci-report",
    "GITHUB_REPOSITORY": "team/rtc_backend",
    "GITHUB_RUN_ID": "8123",
    "GITHUB_RUN_NUMBER": "57",
    "GITHUB_SERVER_URL": "https://gitea.example.com/",
    "GITHUB_ACTOR": "alice",
    "GITEA_ACTIONS": "true",
}


def report(gateway, project, step, *extra, env=None, **kwargs):
    run = run_reporter([project, step, *extra], {"LOG_CENTER_URL": gateway.url, **(env or {})}, **kwargs)
    assert run.returncode == 0, run
    return run


@pytest.mark.parametrize("step, expected", [
    ("docker build", "DockerBuildError"),
    ("Build Docker image", "DockerBuildError"),
    ("docker-compose up", "DockerBuildError"),
    ("npm run build", "NpmBuildError"),
    ("yarn build", "NpmBuildError"),
    ("pnpm install", "NpmBuildError"),
    ("Vite build", "NpmBuildError"),
    ("webpack", "NpmBuildError"),
    ("npm-build", "NpmBuildError"),
    ("test", "TestFailure"),
    ("Unit tests", "TestFailure"),
    ("pytest", "TestFailure"),
    ("npm test", "TestFailure"),
    ("jest --ci", "TestFailure"),
    ("vitest run", "TestFailure"),
    ("lint", "LintError"),
    ("npx eslint src", "LintError"),
    ("ruff check", "LintError"),
    ("flake8", "LintError"),
    ("deploy", "DeployError"),
    ("Deploy to staging", "DeployError"),
    ("kubectl apply", "DeployError"),
    ("helm upgrade", "DeployError"),
    ("compile", "BuildError"),
    ("Pull latest image", "BuildError"),   # "latest" is not "test"
    ("make", "BuildError"),
])
def test_error_type_is_inferred_from_the_step_name(gateway, step, expected):
    project = unique_project("types")
    run = report(gateway, project, step, "it broke")
    bug = get_bug(gateway.url, run.bug_id())
    assert (bug["project_id"], bug["source"], bug["error_type"]) == (project, "cicd", expected)
    assert bug["error_message"] == "it broke"
    assert bug["level"] == "ERROR"
    assert expected in run.stderr


@pytest.mark.parametrize("flag", [["--error-type", "SecurityScanError"], ["--error-type=SecurityScanError"]])
def test_error_type_option_overrides_the_inference(gateway, flag):
    project = unique_project("override")
    run = report(gateway, project, "docker build", "x", *flag)
    assert get_bug(gateway.url, run.bug_id())["error_type"] == "SecurityScanError"


def test_gitea_environment_arrives_as_context(gateway, tmp_path):
    project = unique_project("context")
    log = tmp_path / "build.log"
    log.write_text("compiling\nerror: something broke\n")
    run = report(gateway, project, "npm run build", "--log-file", str(log), env=GITEA_ENV)
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["source"] == "cicd"
    assert bug["file_path"] is None and bug["line_number"] is None
    assert bug["commit_hash"] == GITEA_ENV["GITHUB_SHA"]
    assert bug["context"] == {
        "workflow_name": "build & test",
        "job_name": "build",
        "step_name": "npm run build",
        "run_id": "8123",
        "run_number": "57",
        "run_url": "https://gitea.example.com/team/rtc_backend/actions/runs/8123",
        "repository": "team/rtc_backend",
        "ref": "refs/heads/feature/ci-report",
        "commit_sha": GITEA_ENV["GITHUB_SHA"],
        "actor": "alice",
        "log_tail": "compiling\nerror: something broke\n",
    }
    assert bug["error_message"] == "error: something broke"


def test_gitea_twins_are_used_when_github_names_are_absent(gateway):
    project = unique_project("twins")
    env = {k.replace("GITHUB_", "GITEA_"): v for k, v in GITEA_ENV.items()}
    run = report(gateway, project, "tests", "failed", env=env)
    ctx = get_bug(gateway.url, run.bug_id())["context"]
    assert ctx["job_name"] == "build" and ctx["run_number"] == "57" and ctx["actor"] == "alice"
    assert ctx["run_url"] == "https://gitea.example.com/team/rtc_backend/actions/runs/8123"


def test_run_url_can_be_overridden(gateway):
    # Gitea before 1.26 and Forgejo address runs by run number, not run id.
    project = unique_project("runurl")
    url = "https://gitea.example.com/team/rtc_backend/actions/runs/57"
    run = report(gateway, project, "tests", "failed", env={**GITEA_ENV, "LOG_CENTER_RUN_URL": url})
    assert get_bug(gateway.url, run.bug_id())["context"]["run_url"] == url


def test_outside_ci_the_context_has_only_what_is_known(gateway):
    project = unique_project("bare")
    run = report(gateway, project, "compile", "boom")
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["context"] == {"step_name": "compile"}
    assert bug["commit_hash"] is None


def test_two_failures_of_the_same_job_and_step_are_one_bug(gateway, tmp_path):
    project = unique_project("dedup")
    first = report(gateway, project, "docker build", "first failure", env=GITEA_ENV)
    assert "(new)" in first.stderr
    second = report(gateway, project, "docker build", "second failure",
                    env={**GITEA_ENV, "GITHUB_RUN_ID": "8124", "GITHUB_SHA": "a" * 40})
    assert second.bug_id() == first.bug_id()
    assert "seen 2 times" in second.stderr
    bug = get_bug(gateway.url, first.bug_id())
    assert bug["occurrence_count"] == 2
    assert bug["error_message"] == "second failure"          # the latest message and context win
    assert bug["context"]["run_id"] == "8124"
    # Another step, or the same step in another job, is another bug.
    other_step = report(gateway, project, "npm build", "x", env=GITEA_ENV)
    other_job = report(gateway, project, "docker build", "x", env={**GITEA_ENV, "GITHUB_JOB": "release"})
    assert len({first.bug_id(), other_step.bug_id(), other_job.bug_id()}) == 3
    assert len(bugs_of(gateway.url, project)) == 3


NASTY = [
    'He said "stop" and it\'s \'quoted\'',
    "back\\slash \\n \\\" \\\\ end\\",
    "line one\nline two\n\ttabbed\r\nwindows line",
    "unicode: 你好, Ünïcödé, emoji 🚀🔥, rtl שלום, combining é",
    "$(touch {pwned}) `touch {pwned}` ${HOME} $((6*7)) $HOME %s %n {} \\u0041",
    "json breakers: {\"a\": 1}, [1,2], \u2028\u2029 </script>",
    "; touch {pwned}; echo ' && touch {pwned} || \" | touch {pwned}",
    "-starts with a dash",
]


@pytest.mark.parametrize("locale", [{}, {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}], ids=["C", "C.UTF-8"])
def test_nasty_strings_round_trip_exactly_and_execute_nothing(gateway, tmp_path, locale):
    pwned = tmp_path / "pwned"
    messages = [m.replace("{pwned}", str(pwned)) for m in NASTY]
    for i, message in enumerate(messages):
        project = unique_project("nasty")
        step = f"step {i}: \"$(touch {pwned})\" 你好"
        log = tmp_path / f"log{i}.txt"
        log_text = f"before\n{message}\n`touch {pwned}` $(touch {pwned})\nafter\n"
        log.write_bytes(log_text.encode("utf-8"))
        env = {**locale, "GITHUB_WORKFLOW": f"wf $(touch {pwned}) \"q\"", "GITHUB_ACTOR": "ünï`id`"}
        run = report(gateway, project, step, "--log-file", str(log), "--", message, env=env)
        bug = get_bug(gateway.url, run.bug_id())
        assert bug["error_message"] == message
        assert bug["context"]["step_name"] == step
        assert bug["context"]["workflow_name"] == env["GITHUB_WORKFLOW"]
        assert bug["context"]["actor"] == env["GITHUB_ACTOR"]
        expected_log = log_text.replace("\r\n", "\n")                # CR of CRLF lines is dropped
        assert bug["context"]["log_tail"] == expected_log
    assert not pwned.exists()


def test_nasty_log_line_becomes_the_message_exactly(gateway, tmp_path):
    pwned = tmp_path / "pwned"
    line = f"ERROR: \"quoted\" back\\slash 你好 🚀 $(touch {pwned}) `touch {pwned}`"
    log = tmp_path / "log.txt"
    log.write_text(f"ok\n{line}\ndone\n", encoding="utf-8")
    run = report(gateway, unique_project("nastylog"), "build", "--log-file", str(log))
    assert get_bug(gateway.url, run.bug_id())["error_message"] == line
    assert not pwned.exists()


LOGS = {
    "npm": ("npm run build", """\
> app@1.0.0 build
> tsc && vite build

src/App.tsx(3,1): error TS2304: Cannot find name 'foo'.
npm ERR! code ELIFECYCLE
npm ERR! errno 2
npm ERR! app@1.0.0 build: `tsc && vite build`
npm ERR! Exit status 2
npm ERR! A complete log of this run can be found in:
npm ERR!     /root/.npm/_logs/2026-11-28T04_00_00_000Z-debug-0.log
""", "src/App.tsx(3,1): error TS2304: Cannot find name 'foo'."),
    "docker": ("docker build", """\
#12 [build 6/6] RUN npm run build
#12 ERROR: process "/bin/sh -c npm run build" did not complete successfully: exit code: 1
------
 > [build 6/6] RUN npm run build:
------
Dockerfile:12
--------------------
  12 | >>> RUN npm run build
--------------------
ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: 1
""", 'ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: 1'),
    "pytest": ("pytest", """\
tests/test_a.py::test_x FAILED
=================================== FAILURES ===================================
E       AssertionError: assert 1 == 2
tests/test_a.py:3: AssertionError
=========================== short test summary info ============================
FAILED tests/test_a.py::test_x - AssertionError: assert 1 == 2
========================= 1 failed, 3 passed in 0.12s ==========================
""", "FAILED tests/test_a.py::test_x - AssertionError: assert 1 == 2"),
    "runner": ("build", """\
2026-11-28T04:00:01.1234567Z compiling
2026-11-28T04:00:02.1234567Z ##[error]linker failed: undefined reference to `main'
2026-11-28T04:00:02.2234567Z Error: Process completed with exit code 1.
""", "linker failed: undefined reference to `main'"),
    "ansi": ("build", "\x1b[1m\x1b[31mfatal: could not read Username\x1b[0m\nok 0 errors\n",
             "fatal: could not read Username"),
    "no error words": ("build", "step one\nstep two\nlast words\n\n", "last words"),
}


@pytest.mark.parametrize("name", LOGS)
def test_message_is_the_last_meaningful_error_line(gateway, tmp_path, name):
    step, text, expected = LOGS[name]
    log = tmp_path / "log.txt"
    log.write_text(text, encoding="utf-8")
    run = report(gateway, unique_project("msg"), step, "--log-file", str(log))
    assert get_bug(gateway.url, run.bug_id())["error_message"] == expected


def test_without_message_or_log_the_message_names_the_step(gateway):
    run = report(gateway, unique_project("nomsg"), "docker build")
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["error_message"] == "docker build failed"
    assert "log_tail" not in bug["context"]


def test_log_from_stdin(gateway):
    text = "".join(f"line {i}\n" for i in range(300)) + "Error: from stdin\n"
    run = report(gateway, unique_project("stdin"), "build", "--log-file", "-", input=text.encode())
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["error_message"] == "Error: from stdin"
    lines = bug["context"]["log_tail"].splitlines()
    assert len(lines) == 200 and lines[-1] == "Error: from stdin" and lines[0] == "line 101"


def test_log_from_process_substitution(gateway):
    project = unique_project("procsub")
    run = run_reporter([project], {"LOG_CENTER_URL": gateway.url},
                       wrap='bash "$1" "$2" build --log-file <(printf "compiling\\nerror: from a pipe\\n")')
    assert run.returncode == 0, run
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["error_message"] == "error: from a pipe"
    assert bug["context"]["log_tail"] == "compiling\nerror: from a pipe\n"


@pytest.mark.parametrize("where", ["missing.log", "."])
def test_unreadable_log_file_still_reports(gateway, tmp_path, where):
    run = report(gateway, unique_project("nolog"), "build", "boom", "--log-file", str(tmp_path / where))
    assert "log file not readable" in run.stderr
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["error_message"] == "boom" and "log_tail" not in bug["context"]


def _read_chars(run) -> int:
    m = re.search(r"^rchar: (\d+)$", run.stdout, re.M)
    assert m, run.stdout
    return int(m.group(1))


# Run the script, then print what it and every process it started read (reaped children's
# I/O is added to the parent's /proc/<pid>/io). `read` is a builtin: no extra process.
MEASURE_IO = 'bash "$@"; rc=$?; while read -r l; do echo "$l"; done < /proc/$$/io; exit $rc'


def test_a_50_mb_log_sends_only_its_tail_and_is_not_read_whole(gateway, tmp_path):
    log = tmp_path / "huge.log"
    line_count = 520_000
    with log.open("w") as f:
        for start in range(0, line_count, 52_000):
            f.write("".join(f"{i:07d} building module {i % 977} of the application, all fine".ljust(99) + "\n"
                            for i in range(start, start + 52_000)))
        f.write("ERROR: the very last line\n")
    assert log.stat().st_size > 50_000_000
    project = unique_project("huge")
    run = run_reporter([project, "build", "--log-file", str(log)], {"LOG_CENTER_URL": gateway.url},
                       wrap=MEASURE_IO)
    assert run.returncode == 0, run
    assert _read_chars(run) < 2_000_000, "the script read far more than the tail of the log"
    assert run.elapsed < 10
    bug = get_bug(gateway.url, run.bug_id())
    tail = bug["context"]["log_tail"]
    lines = tail.splitlines()
    assert len(lines) == 200
    assert lines[-1] == "ERROR: the very last line"
    assert lines[0].startswith(f"{line_count - 199:07d} ")
    assert len(tail.encode("utf-8")) <= 65536
    assert bug["error_message"] == "ERROR: the very last line"


def test_a_50_mb_log_on_stdin_sends_only_its_tail(gateway):
    chunk = "".join(f"{i:07d} compiling, nothing to see here\n" for i in range(1_600_000))
    data = (chunk + "FATAL: out of disk\n").encode()
    assert len(data) > 50_000_000
    run = report(gateway, unique_project("hugestdin"), "build", "--log-file", "-", input=data)
    assert run.elapsed < 15
    tail = get_bug(gateway.url, run.bug_id())["context"]["log_tail"]
    lines = tail.splitlines()
    assert len(lines) == 200 and lines[-1] == "FATAL: out of disk"
    assert lines[0].startswith(f"{1_600_000 - 199:07d} ")


def test_long_lines_are_capped_at_64_kib_keeping_whole_lines_from_the_end(gateway, tmp_path):
    log = tmp_path / "wide.log"
    lines = [f"{i:04d} " + "é" * 600 + " ✓" for i in range(150)]   # about 1.2 KB per line
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = report(gateway, unique_project("wide"), "build", "x", "--log-file", str(log))
    tail = get_bug(gateway.url, run.bug_id())["context"]["log_tail"]
    assert 60_000 < len(tail.encode("utf-8")) <= 65536
    kept = tail.split("\n")
    assert kept[-1] == "" and kept[-2] == lines[-1]
    assert kept[0] in lines                                           # starts on a line boundary
    assert kept[:-1] == lines[lines.index(kept[0]):]


def test_one_giant_line_keeps_its_end_and_stays_valid_utf8(gateway, tmp_path):
    log = tmp_path / "giant.log"
    text = "".join(f"{i}你好🚀" for i in range(100_000)) + " END"
    log.write_text(text, encoding="utf-8")                            # no newline at all
    run = report(gateway, unique_project("giant"), "build", "x", "--log-file", str(log))
    tail = get_bug(gateway.url, run.bug_id())["context"]["log_tail"]
    assert 65536 - 4 < len(tail.encode("utf-8")) <= 65536
    assert text.endswith(tail) and tail.endswith(" END")


def test_dry_run_prints_the_payload_and_sends_nothing(gateway, tmp_path):
    project = unique_project("dry")
    log = tmp_path / "log.txt"
    log.write_text("error: nope\n")
    run = run_reporter([project, "tests", "--dry-run", "--log-file", str(log)],
                       {"LOG_CENTER_URL": gateway.url, **GITEA_ENV})
    assert run.returncode == 0
    payload = json.loads(run.stdout)
    assert payload["source"] == "cicd" and payload["error"] == {"type": "TestFailure", "message": "error: nope"}
    assert payload["commit_hash"] == GITEA_ENV["GITHUB_SHA"]
    assert payload["context"]["log_tail"] == "error: nope\n"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["timestamp"])
    assert bugs_of(gateway.url, project) == []
