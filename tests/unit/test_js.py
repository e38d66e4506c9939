"""The browser's JavaScript (agent_ui/js): its node:test suites under tests/js, run with Node in `make test`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_javascript_suites_pass() -> None:
    node = shutil.which("node")
    if node is None:  # the Makefile's setup needs Node for Azurite too, so `make test` always has it
        pytest.skip("node is not installed")
    suites = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert suites, "no JavaScript suites found under tests/js"
    result = subprocess.run([node, "--test", *suites], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
