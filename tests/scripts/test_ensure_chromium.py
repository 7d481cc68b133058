"""scripts/ensure-chromium.sh (issue 11, item 15): Chromium and the CJK font are each installed
when missing — a machine that already has Chromium still gets fonts-noto-cjk. Real bash runs the
script; `id`, `apt-get`, `fc-list` and Chromium are stand-ins on PATH that record what was asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-chromium.sh"


def _stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    state = tmp_path / "state"
    state.mkdir()
    chromium = tmp_path / "chromium"
    _stub(bin_dir / "id", f'[ "$1" = -u ] && cat {state}/uid || /usr/bin/id "$@"\n')
    _stub(bin_dir / "fc-list", f'[ -e {state}/font ] && echo "Noto Sans CJK SC" || true\n')
    _stub(bin_dir / "fc-cache", "exit 0\n")
    chromium_body = 'echo "Chromium 1.0 (stand-in)"\\n'
    _stub(bin_dir / "apt-get",
          f'echo "$*" >> {state}/apt.log\n'
          f'if [ "$1" = install ]; then\n'
          f'  for p in "$@"; do\n'
          f'    [ "$p" = fonts-noto-cjk ] && touch {state}/font\n'
          f"    [ \"$p\" = chromium ] && printf '#!/bin/bash\\n{chromium_body}' > {chromium} && chmod +x {chromium}\n"
          f'  done\n'
          f'fi\n'
          f'exit 0\n')

    class Machine:
        def __init__(self):
            self.uid("0")

        def uid(self, value: str) -> None:
            (state / "uid").write_text(value)

        def has_font(self) -> None:
            (state / "font").touch()

        def has_chromium(self) -> None:
            _stub(chromium, 'echo "Chromium 1.0 (stand-in)"\n')

        def apt(self) -> list[str]:
            log = state / "apt.log"
            return log.read_text().splitlines() if log.exists() else []

        def run(self) -> subprocess.CompletedProcess:
            env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOGCENTER_CHROMIUM": str(chromium),
                   "HOME": os.environ.get("HOME", "/root")}
            return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)

    return Machine()


def _installs(machine) -> list[str]:
    return [line for line in machine.apt() if line.startswith("install")]


def test_chromium_present_font_missing_installs_the_font(machine):
    machine.has_chromium()
    result = machine.run()
    assert result.returncode == 0, result.stderr
    assert _installs(machine) == ["install -y -qq fonts-noto-cjk"]
    assert "Chromium 1.0" in result.stdout


def test_both_missing_installs_both(machine):
    result = machine.run()
    assert result.returncode == 0, result.stderr
    assert _installs(machine) == ["install -y -qq chromium fonts-noto-cjk"]


def test_both_present_installs_nothing(machine):
    machine.has_chromium()
    machine.has_font()
    result = machine.run()
    assert result.returncode == 0, result.stderr
    assert machine.apt() == []


def test_font_missing_without_root_fails_loudly(machine):
    machine.has_chromium()
    machine.uid("1000")
    result = machine.run()
    assert result.returncode == 1
    assert "fonts-noto-cjk" in result.stderr and "FAILED" in result.stderr
    assert machine.apt() == []
