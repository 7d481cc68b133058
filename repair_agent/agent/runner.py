"""The repair loop behind `python -m repair_agent run`.

One bug at a time: fetch pending runtime bugs (oldest first), claim the first one that can
still be claimed (a 409 means another agent was faster: move on to the next), hand its
JSON to REPAIR_COMMAND on stdin, and record the outcome:

    exit status 0                     -> FIXED       note: "repair command succeeded …" + output tail
    any other exit status / signal    -> FIX_FAILED  note: "repair command failed …" + output tail
    still running after --timeout     -> FIX_FAILED  note: "repair command timed out …" + output tail
                                         (its whole process group is killed first)
    Ctrl-C / SIGTERM while it runs    -> PENDING_FIX note: "interrupted …" (back in the queue);
                                         the command's process group is stopped, then the loop exits

A bug this loop claimed therefore never stays FIXING without a note saying why: either it
gets one of the statuses above, or (Log Center unreachable at that very moment) the claim
note names this agent and the error message says how to put it right by hand.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from repair_agent.agent import evidence
from repair_agent.agent.task_manager import (ApiError, BadResponse, Conflict, LogCenterError, NotFound,
                                             TaskManager, Unauthorized, Unreachable)
from repair_agent.terminal import safe

TAIL_BYTES = 3000          # how much of the command's output goes into the note (the end of it)
FETCH_LIMIT = 10           # pending bugs looked at per round
RECORD_ATTEMPTS = 3        # tries to record a result when Log Center has a hiccup


# What REPAIR_COMMAND gets of the agent's environment: enough to find programs and write
# text, nothing secret. LOG_CENTER_TOKEN above all stays out: the command reads bug text that
# anyone with the ingest token wrote (a prompt-injection path when the fixer is an LLM).
# More only by name (REPAIR_COMMAND_ENV).
BASE_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM")
# Words the shell runs itself: a command starting with one cannot be checked before it runs.
_SHELL_WORDS = {"cd", "exec", "export", "set", "source", ".", "eval", "if", "for", "while", "until", "case",
                "{", "(", "!", "[", "[[", "test", "true", "false", "command", "builtin", "time", "ulimit",
                "umask", "trap", "unset", "read", "printf", "echo", "exit", "return", "shift", "wait"}


def command_env(environ: dict[str, str], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment REPAIR_COMMAND runs with (before the LOG_CENTER_BUG_* variables)."""
    return {k: v for k, v in environ.items()
            if k in BASE_ENV or k.startswith("LC_") or k in extra}


def command_problem(command: str, environ: dict[str, str]) -> str | None:
    """Why REPAIR_COMMAND cannot run, found before a bug is claimed for it; None when it looks
    runnable (or is shell code whose program cannot be known before it runs)."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"it is not valid shell syntax ({exc})"
    while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
        words.pop(0)  # VAR=value prefixes
    if not words or words[0] in _SHELL_WORDS or any(c in words[0] for c in "$`*?;&|<>(){}"):
        return None
    program = words[0]
    if "/" in program:
        if not os.path.exists(program):
            return f"{program}: no such file (the path is relative to {os.getcwd()})" \
                if not os.path.isabs(program) else f"{program}: no such file"
        if os.path.isdir(program) or not os.access(program, os.X_OK):
            return f"{program}: not executable (chmod +x {shlex.quote(program)}, or run it as `bash {program}`)"
        return None
    if shutil.which(program, path=environ.get("PATH", os.defpath)) is None:
        return f"{program}: command not found on PATH"
    return None


@dataclass
class RunOptions:
    command: str
    project_id: str | None = None
    once: bool = False
    max_bugs: int | None = None
    timeout: float | None = 3600.0      # seconds the command may run; None = no limit
    poll: float = 30.0                  # seconds between looks at an empty queue
    exit_when_idle: bool = False
    kill_grace: float = 5.0             # SIGTERM → SIGKILL delay when stopping the command
    show_output: bool = False
    env_names: tuple[str, ...] = ()     # REPAIR_COMMAND_ENV: more variables the command gets


@dataclass
class CommandResult:
    outcome: str                        # "exited", "timeout", "interrupted", "error"
    returncode: int | None
    tail: str
    seconds: float
    error: str | None = None


@dataclass
class RunSummary:
    handled: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    interrupted_by: int | None = None   # the signal number when a signal stopped the loop

    def exit_code(self) -> int:
        return 128 + self.interrupted_by if self.interrupted_by else 0


class Stopper:
    """Turns SIGINT / SIGTERM into a flag the loop checks (and an event that cuts waits short)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        self.event.set()

    def install(self) -> "Stopper":
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def sleep(self, seconds: float) -> None:
        self.event.wait(seconds)

    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "?"


class _Tail:
    """The last `limit` bytes written to it."""

    def __init__(self, limit: int):
        self.limit = limit
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)
        self.total += len(chunk)
        while self.size - len(self.chunks[0]) >= self.limit:
            self.size -= len(self.chunks.popleft())

    def text(self) -> str:
        data = b"".join(self.chunks)[-self.limit:]
        text = data.decode("utf-8", errors="replace").strip()
        if self.total > len(data):
            text = "…" + text
        return text


def _pump(stream: IO[bytes], tail: _Tail, echo: IO[bytes] | None) -> None:
    try:
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                break
            tail.add(chunk)
            if echo is not None:
                echo.write(chunk)
                echo.flush()
    except (OSError, ValueError):
        pass


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass  # the command does not read stdin (or stopped reading): its business
    finally:
        try:
            stream.close()
        except OSError:
            pass


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_command(command: str, bug: dict[str, Any], env: dict[str, str], timeout: float | None,
                stopper: Stopper, kill_grace: float = 5.0, show_output: bool = False) -> CommandResult:
    """Run `command` in its own process group with the bug's JSON on stdin; stop it on timeout or signal."""
    payload = json.dumps(bug, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    started = time.monotonic()
    with tempfile.NamedTemporaryFile("wb", prefix=f"log-center-bug-{bug['id']}-", suffix=".json",
                                     delete=False) as handle:
        handle.write(payload)
        bug_file = handle.name
    try:
        try:
            proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env={**env, "LOG_CENTER_BUG_FILE": bug_file},
                                    start_new_session=True)
        except OSError as exc:
            return CommandResult("error", None, "", time.monotonic() - started, f"could not start it: {exc}")
        tail = _Tail(TAIL_BYTES)
        echo = sys.stdout.buffer if show_output else None
        reader = threading.Thread(target=_pump, args=(proc.stdout, tail, echo), daemon=True)
        writer = threading.Thread(target=_feed, args=(proc.stdin, payload), daemon=True)
        reader.start()
        writer.start()
        deadline = started + timeout if timeout else None
        outcome = "exited"
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            if stopper.requested:
                outcome = "interrupted"
            elif deadline is not None and time.monotonic() >= deadline:
                outcome = "timeout"
            else:
                continue
            _stop_group(proc, kill_grace)
            break
        # Whatever the command left behind in its group and still holding its output open goes too.
        reader.join(1.0)
        if reader.is_alive():
            _kill_group(proc.pid, signal.SIGKILL)
            reader.join(2.0)
        writer.join(1.0)
        if proc.stdout:
            proc.stdout.close()
        return CommandResult(outcome, proc.returncode, tail.text(), time.monotonic() - started)
    finally:
        try:
            os.unlink(bug_file)
        except OSError:
            pass


def _stop_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM the command's whole process group, SIGKILL whatever is left after `grace` seconds."""
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "no exit status"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    # The shell's own answers when it could not run the program (POSIX): say so in words.
    if returncode == 127:
        return "exit status 127: command not found — the shell found no such program; check REPAIR_COMMAND"
    if returncode == 126:
        return "exit status 126: not executable — the program exists but cannot run (chmod +x, or its #! line)"
    return f"exit status {returncode}"


def verdict(result: CommandResult, timeout: float | None, signame: str) -> tuple[str, str]:
    """(status, note) to record for a command result."""
    took = f"{result.seconds:.1f} s"
    if result.outcome == "interrupted":
        status, head = "PENDING_FIX", (f"interrupted: the repair agent got {signame} after {took} and stopped "
                                       f"the repair command; the bug is back in the queue")
    elif result.outcome == "timeout":
        status, head = "FIX_FAILED", (f"repair command timed out after {timeout:g} s and was killed "
                                      f"(whole process group)")
    elif result.outcome == "error":
        status, head = "FIX_FAILED", f"repair command did not run: {result.error}"
    elif result.returncode == 0:
        status, head = "FIXED", f"repair command succeeded (exit status 0, {took})"
    else:
        status, head = "FIX_FAILED", f"repair command failed ({_describe_exit(result.returncode)}, {took})"
    note = head + ("\n--- output (tail) ---\n" + result.tail if result.tail else "\n(no output)")
    return status, note


def _quietly(write: Callable[[str], None]) -> Callable[[str], None]:
    """Progress output must never be the reason a claimed bug is left unrecorded (e.g. a closed pipe)."""

    def safe(text: str) -> None:
        try:
            write(text)
        except (OSError, ValueError):
            pass

    return safe


class Runner:
    def __init__(self, manager: TaskManager, options: RunOptions, stopper: Stopper,
                 say: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None):
        self.tm = manager
        self.opts = options
        self.stopper = stopper
        # Progress lines quote bug fields (error type, project): never raw to the terminal.
        self.say = say or _quietly(lambda text: print(safe(text), flush=True))
        self.warn = warn or _quietly(lambda text: print(f"repair_agent: {safe(text)}", file=sys.stderr, flush=True))
        self.skipped: set[int] = set()
        self.claim_note = f"claimed by the repair agent on {socket.gethostname()} (pid {os.getpid()})"

    # ------------------------------------------------------------------ the loop

    def run(self) -> RunSummary:
        summary = RunSummary()
        limit = 1 if self.opts.once else self.opts.max_bugs
        contacted = False
        while not self.stopper.requested and (limit is None or summary.handled < limit):
            try:
                page = self.tm.fetch_pending_bugs(self.opts.project_id,
                                                  limit=FETCH_LIMIT + len(self.skipped))
                contacted = True
                candidates = [b for b in page.get("items", []) if b.get("id") not in self.skipped]
                bug = self._claim_first(candidates)
            except (Unreachable, BadResponse, ApiError) as exc:
                if isinstance(exc, Unauthorized) or not contacted or self.opts.once:
                    raise
                if isinstance(exc, ApiError) and exc.status < 500 and exc.status != 429:
                    raise
                self.warn(f"{exc}; trying again in {self.opts.poll:g} s")
                self.stopper.sleep(self.opts.poll)
                continue
            if bug is None:
                if candidates:
                    continue  # every one of them went to someone else: look again right away
                if self.opts.once or self.opts.exit_when_idle:
                    self.say("no pending runtime bugs")
                    break
                self.stopper.sleep(self.opts.poll)
                continue
            if self.stopper.requested:
                self._record(bug, "PENDING_FIX", f"interrupted: the repair agent got {self.stopper.name()} "
                                                  f"right after claiming the bug; the bug is back in the queue")
                summary.counts["PENDING_FIX"] = summary.counts.get("PENDING_FIX", 0) + 1
                break
            status = self._repair(bug)
            summary.handled += 1
            summary.counts[status] = summary.counts.get(status, 0) + 1
        summary.interrupted_by = self.stopper.signum
        return summary

    def _claim_first(self, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        for candidate in candidates:
            if self.stopper.requested:
                return None
            bug_id = candidate["id"]
            try:
                return self.tm.claim(bug_id, self.claim_note)
            except Conflict:
                continue  # lost the race (or it moved on meanwhile): next one
            except NotFound:
                self.skipped.add(bug_id)
            except ApiError as exc:
                if exc.status != 422:
                    raise
                self.skipped.add(bug_id)
                self.warn(f"bug {bug_id} cannot be claimed, skipping it: {exc}")
        return None

    # ------------------------------------------------------------------ one bug

    def _repair(self, bug: dict[str, Any]) -> str:
        bug_id = bug["id"]
        where = f" at {bug['file_path']}:{bug['line_number']}" if bug.get("file_path") else ""
        self.say(f"bug {bug_id}: claimed ({bug.get('project_id')}: {bug.get('error_type')}{where}); "
                 f"running the repair command")
        bug = self._with_evidence(bug)
        env = command_env(dict(os.environ), self.opts.env_names)
        env.update({"LOG_CENTER_BUG_ID": str(bug_id), "LOG_CENTER_PROJECT_ID": str(bug.get("project_id") or ""),
                    "LOG_CENTER_URL": self.tm.base_url})
        try:
            result = run_command(self.opts.command, bug, env, self.opts.timeout, self.stopper,
                                 self.opts.kill_grace, self.opts.show_output)
        except Exception as exc:  # noqa: BLE001 - whatever happens, the bug must not stay FIXING silently
            result = CommandResult("error", None, "", 0.0, f"{type(exc).__name__}: {exc}")
        status, note = verdict(result, self.opts.timeout, self.stopper.name())
        self._record(bug, status, note)
        self.say(f"bug {bug_id}: {status} — {note.splitlines()[0]}")
        return status

    def _with_evidence(self, bug: dict[str, Any]) -> dict[str, Any]:
        """The claimed bug plus its latest occurrences and in-app frames. A server that cannot give
        them (too old, or a hiccup) must not cost the repair: the command gets the bug alone."""
        try:
            occurrences = self.tm.recent_occurrences(bug["id"], evidence.RECENT_OCCURRENCES)
        except LogCenterError as exc:
            self.warn(f"bug {bug['id']}: could not fetch its occurrences ({exc}); the repair command gets "
                      f"the bug without them")
            occurrences = []
        return evidence.enrich(bug, occurrences)

    def _record(self, bug: dict[str, Any], status: str, note: str) -> None:
        bug_id = bug["id"]
        last: LogCenterError | None = None
        for attempt in range(RECORD_ATTEMPTS):
            if attempt:
                time.sleep(1.0)
            try:
                current = self.tm.get_bug(bug_id)
                if current.get("status") != "FIXING":
                    self.warn(f"bug {bug_id} was set to {current.get('status')} by someone else while it was "
                              f"being repaired; leaving it so (this run's result: {status})")
                    return
                self.tm.update_status(bug_id, status, note)
                return
            except (Unreachable, BadResponse) as exc:
                last = exc
            except ApiError as exc:
                last = exc
                if exc.status < 500 and exc.status != 429:
                    break
        raise LogCenterError(f"could not record bug {bug_id} as {status} ({last}); it stays FIXING with the note "
                             f"{self.claim_note!r}. Set it by hand: python -m repair_agent update {bug_id} "
                             f"{status} --note '…'")
