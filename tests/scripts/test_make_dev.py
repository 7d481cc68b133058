"""`make dev PORT=…` (issue 11, item 14): the port and host are Makefile variables, passed to the
gateway, and the README says so."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _gateway_line(*overrides: str) -> str:
    out = subprocess.run(["make", "-n", "dev", *overrides], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return [line for line in out.splitlines() if "-m shared.gateway" in line][-1]


def test_port_and_host_reach_the_gateway():
    assert _gateway_line().endswith("--host 127.0.0.1 --port 8080")
    assert _gateway_line("PORT=9123").endswith("--host 127.0.0.1 --port 9123")
    assert _gateway_line("PORT=9123", "HOST=0.0.0.0").endswith("--host 0.0.0.0 --port 9123")


def test_readme_says_how_to_pick_another_port():
    readme = (ROOT / "README.md").read_text()
    two = readme[readme.index("## Two commands"):]
    two = two[: two.index("\n## ", 4)]
    assert re.search(r"`make dev PORT=\d+`", two)
    assert "LOG_CENTER_URL=http://127.0.0.1:" in two and "fonts-noto-cjk" in two
