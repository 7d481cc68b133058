"""`python -m repair_agent …`: list / show / claim / update / run.

Exit codes: 0 done; 1 Log Center unreachable, refused the token or refused the request;
2 bad usage or configuration; 128+N stopped by signal N (130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any, Sequence

from repair_agent.agent import evidence
from repair_agent.agent.runner import RunOptions, Runner, Stopper, command_env, command_problem
from repair_agent.agent.task_manager import MAX_PENDING_LIMIT, LogCenterError, TaskManager
from repair_agent.config import ConfigError, load_config
from repair_agent.terminal import safe, safe_json, safe_lines

PROG = "python -m repair_agent"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _seconds(allow_zero: bool):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if value < 0 or (value == 0 and not allow_zero) or value != value:
            raise argparse.ArgumentTypeError(f"must be {'0 or ' if allow_zero else ''}more than 0, not {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log Center's repair agent: takes pending runtime bugs, hands them to REPAIR_COMMAND, "
                    "records FIXED / FIX_FAILED. Configured by LOG_CENTER_URL and LOG_CENTER_TOKEN.",
        epilog="See docs/repair-agent.md.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="pending runtime bugs (NEW, PENDING_FIX), oldest first")
    p.add_argument("--project", metavar="P", help="only this project_id")
    p.add_argument("--limit", type=_positive_int, default=50, help=f"at most this many (max {MAX_PENDING_LIMIT})")
    p.add_argument("--json", action="store_true", help="print Log Center's JSON answer")

    p = sub.add_parser("show", help="one bug with its latest occurrences, in-app frames and status history")
    p.add_argument("id", type=_positive_int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("claim", help="take a bug (→ FIXING); fails if someone else has it")
    p.add_argument("id", type=_positive_int)
    p.add_argument("--note", help="note for the history row")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("update", help="set a bug's status (FIXED, FIX_FAILED, PENDING_FIX, …)")
    p.add_argument("id", type=_positive_int)
    p.add_argument("status", type=str.upper)
    p.add_argument("--note", help="note for the history row")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("run", help="repair pending runtime bugs one at a time with REPAIR_COMMAND")
    p.add_argument("--command", dest="repair_command", metavar="CMD",
                   help="shell command to run for each bug (default: $REPAIR_COMMAND)")
    p.add_argument("--project", metavar="P", help="only bugs of this project_id")
    p.add_argument("--once", action="store_true", help="handle at most one bug, then exit (never waits)")
    p.add_argument("--max", dest="max_bugs", type=_positive_int, metavar="N", help="exit after N bugs")
    p.add_argument("--timeout", type=_seconds(True), default=3600.0, metavar="SECONDS",
                   help="kill the command (its whole process group) after this long; 0 = no limit "
                        "(default 3600)")
    p.add_argument("--poll", type=_seconds(False), default=30.0, metavar="SECONDS",
                   help="when the queue is empty, look again after this long (default 30)")
    p.add_argument("--exit-when-idle", action="store_true", help="exit instead of waiting when the queue is empty")
    p.add_argument("--show-output", action="store_true", help="also print the command's output as it runs")
    return parser


# ----------------------------------------------------------------------------- output

def _cut(text: Any, width: int) -> str:
    """One line of at most `width` characters, control characters escaped (bug text is untrusted)."""
    text = safe(" ".join(str(text if text is not None else "-").split()))
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _location(bug: dict[str, Any]) -> str:
    if not bug.get("file_path"):
        return "-"
    return f"{bug['file_path']}:{bug['line_number']}" if bug.get("line_number") is not None else bug["file_path"]


def _table(rows: list[list[str]], headers: list[str], flexible: int) -> str:
    """Columns padded to fit; column `flexible` is squeezed so a line fits the terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    room = shutil.get_terminal_size((120, 24)).columns - sum(widths) - 2 * (len(widths) - 1) + widths[flexible]
    widths[flexible] = max(min(widths[flexible], room), len(headers[flexible]), 20)
    lines = []
    for row in [headers, *rows]:
        cells = [_cut(c, w).ljust(w) for c, w in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def print_list(answer: dict[str, Any], project: str | None) -> None:
    items = answer.get("items", [])
    scope = f" in {project}" if project else ""
    if not items:
        print(f"no pending runtime bugs{scope}")
        return
    headers = ["ID", "STATUS", "LEVEL", "PROJECT", "ERROR", "LOCATION", "COUNT", "LAST SEEN", "MESSAGE"]
    rows = [[str(b["id"]), b.get("status") or "-", b.get("level") or "-", b.get("project_id") or "-",
             _cut(b.get("error_type"), 40), _cut(_location(b), 50), str(b.get("occurrence_count", "-")),
             b.get("last_seen_at") or "-", _cut(b.get("error_message") or "", 200)] for b in items]
    print(_table(rows, headers, flexible=len(headers) - 1))
    total = answer.get("total", len(items))
    more = f" (showing the oldest {len(items)}; --limit for more)" if total > len(items) else ""
    print(f"\n{total} pending runtime bug{'s' if total != 1 else ''}{scope}{more}")


def print_bug(bug: dict[str, Any]) -> None:
    print(safe(f"bug {bug['id']}  {bug.get('status')}  [{bug.get('source')}] {bug.get('project_id')}"))
    fields = [("error", f"{bug.get('error_type')}: {bug.get('error_message') or ''}".rstrip(": ")),
              ("location", _location(bug)), ("level", bug.get("level")), ("environment", bug.get("environment")),
              ("version", bug.get("version")), ("commit", bug.get("commit_hash")),
              ("occurrences", bug.get("occurrence_count")),
              ("regression", "yes" if bug.get("is_regression") else "no"),
              ("first seen", bug.get("first_seen_at")), ("last seen", bug.get("last_seen_at")),
              ("fingerprint", bug.get("fingerprint"))]
    for name, value in fields:
        if value not in (None, ""):
            lines = safe_lines(value) or [""]
            print(f"  {name + ':':<13}{lines[0]}")
            for line in lines[1:]:
                print(f"  {'':<13}{line}")
    if bug.get("context"):
        print("  context:")
        for key, value in bug["context"].items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            print(f"    {_cut(key, 60)}: {_cut(shown, 200)}")
    trace = bug.get("stack_trace")
    if trace:
        print("  stack trace:")
        text = trace if isinstance(trace, str) else json.dumps(trace, ensure_ascii=False, indent=2)
        for line in safe_lines(text.rstrip()):
            print(f"    {line}")
    for line in evidence.describe(bug):
        print(line)
    history = bug.get("history") or []
    if history:
        print("  history (newest first):")
        for row in history:
            note = row.get("note") or ""
            first, _, rest = note.partition("\n")
            print(safe(f"    {row.get('created_at')}  {row.get('from_status') or '-'} → {row.get('to_status')}  "
                       f"by {row.get('actor')}" + (f": {first}" if first else "")))
            for line in safe_lines(rest):
                print(f"        {line}")


def print_json(data: Any) -> None:
    print(safe_json(json.dumps(data, ensure_ascii=False, indent=2)))


# ----------------------------------------------------------------------------- commands

def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config()
        if args.command == "run":
            return _run(args, config)
        tm = TaskManager(config)
        if args.command == "list":
            answer = tm.fetch_pending_bugs(args.project, limit=min(args.limit, MAX_PENDING_LIMIT))
            print_json(answer) if args.json else print_list(answer, args.project)
        elif args.command == "show":
            bug = tm.get_bug(args.id)
            bug = evidence.enrich(bug, tm.recent_occurrences(args.id, evidence.RECENT_OCCURRENCES))
            print_json(bug) if args.json else print_bug(bug)
        elif args.command == "claim":
            bug = tm.claim(args.id, args.note)
            print_json(bug) if args.json else print(f"bug {bug['id']}: claimed, now {bug['status']}")
        elif args.command == "update":
            bug = tm.update_status(args.id, args.status, args.note)
            if args.json:
                print_json(bug)
            else:
                last = (bug.get("history") or [{}])[0]
                print(f"bug {bug['id']}: {last.get('from_status') or '?'} → {bug['status']}")
        return 0
    except ConfigError as exc:
        print(f"{PROG}: configuration error: {safe(exc)}", file=sys.stderr)
        return 2
    except LogCenterError as exc:
        print(f"{PROG}: error: {safe(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `… | head`: the reader went away; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace, config) -> int:
    command = args.repair_command or config.repair_command
    if not command:
        raise ConfigError("no repair command: set REPAIR_COMMAND (or pass --command) to the shell command "
                          "that fixes one bug (it gets the bug's JSON on stdin)")
    # Refused before anything is claimed: a command that cannot run would mark every pending
    # bug FIX_FAILED, one after the other.
    problem = command_problem(command, command_env(dict(os.environ), config.repair_command_env))
    if problem:
        raise ConfigError(f"REPAIR_COMMAND cannot run: {problem}")
    options = RunOptions(command=command, project_id=args.project, once=args.once, max_bugs=args.max_bugs,
                         timeout=args.timeout or None, poll=args.poll, exit_when_idle=args.exit_when_idle,
                         show_output=args.show_output, env_names=config.repair_command_env)
    stopper = Stopper().install()
    try:
        summary = Runner(TaskManager(config), options, stopper).run()
    finally:
        stopper.restore()
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.counts.items()))
    tail = f" ({counts})" if counts else ""
    if summary.interrupted_by:
        print(f"stopped by {stopper.name()}: {summary.handled} bug{'s' if summary.handled != 1 else ''} "
              f"handled{tail}", flush=True)
    else:
        print(f"done: {summary.handled} bug{'s' if summary.handled != 1 else ''} handled{tail}", flush=True)
    return summary.exit_code()
