"""`python -m shared.retention [--dry-run]` (or `python -m functions.retention`): one run by hand.

Works in any function image (shared/ is in each). Prints each rule with what it removed, or
would remove with --dry-run, and exits 0 (1 when the run failed).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from shared.retention import run as retention


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.retention",
                                     description="Remove what the retention settings say is past keeping.")
    parser.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = retention.run(dry_run=args.dry_run, trigger="cli")
    except Exception as exc:  # noqa: BLE001 - a one-line error for a person at a terminal
        print(f"retention failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    described = {r["rule"]: r["description"] for r in retention.settings_in_force()}
    verb = "would remove" if args.dry_run else "removed"
    if result["status"] == "skipped":
        print(f"skipped: {result['reason']}")
        return 0
    for name, count in result["removed"].items():
        print(f"{name:22} {verb} {count:>9,}   {described[name]}")
    print(f"{'total':22} {verb} {result['total_removed']:>9,}   in {result['seconds']} s, {result['batches']} batches")
    return 0
