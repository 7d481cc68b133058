"""`make bench`: every benchmark in turn, each printing its own figures.

    .venv/bin/python bench/run_all.py [--quick]

--quick shrinks each (100k bugs, short runs) to check the benchmarks themselves work.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    quick = "--quick" in sys.argv
    runs = [
        ["-m", "bench.ingest"] + (["--seconds", "5"] if quick else []),
        ["-m", "bench.alerts"] + (["--seconds", "5"] if quick else []),
        ["-m", "bench.sentry"] + (["--seconds", "5", "--bodies", "10000"] if quick else []),
        ["-m", "bench.coldstart"] + (["--runs", "3"] if quick else []),
        ["-m", "bench.queries", "--explain"] + (["--bugs", "100000", "--requests", "50"] if quick else []),
        ["bench/scan.py"],
        ["-m", "bench.soak"] + (["--minutes", "1"] if quick else ["--minutes", "10"]),
        ["-m", "bench.db_restart"],
    ]
    failed = 0
    for args in runs:
        print(f"\n=== {' '.join(args)} ===", flush=True)
        failed += subprocess.run([sys.executable, *args], cwd=ROOT).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
