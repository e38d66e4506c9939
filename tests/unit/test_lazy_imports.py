"""Deferred modules (shared/lazy_imports.py): run once, on first use, also when many threads use them at once."""

from __future__ import annotations

import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared import lazy_imports


@pytest.fixture
def slow_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module that takes a while to run (as a use case with its libraries does) and counts its runs."""
    name = "deferred_" + uuid.uuid4().hex[:8]
    (tmp_path / f"{name}.py").write_text(
        "import time\nRUNS = __import__('builtins').__dict__.setdefault('_deferred_runs', [])\n"
        "RUNS.append(__name__)\nFIRST = 1\ntime.sleep(0.2)\nLAST = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_deferred_module_runs_on_first_attribute_access(slow_module: str) -> None:
    with lazy_imports.deferred(slow_module):
        module = __import__(slow_module)
    import builtins
    assert slow_module not in getattr(builtins, "_deferred_runs", [])
    assert module.LAST == 2
    assert builtins._deferred_runs.count(slow_module) == 1


def test_threads_that_use_a_deferred_module_at_once_all_see_it_whole(slow_module: str) -> None:
    # GIVEN a module deferred at indexing; WHEN eight invocations use it at the same moment
    with lazy_imports.deferred(slow_module):
        module = __import__(slow_module)

    def use(_: int) -> int:
        return int(module.LAST)

    with ThreadPoolExecutor(8) as ex:
        seen = list(ex.map(use, range(8)))
    # THEN every one sees the module fully run, and it ran once
    import builtins
    assert seen == [2] * 8
    assert builtins._deferred_runs.count(slow_module) == 1


def test_what_is_set_on_a_deferred_module_before_it_runs_is_kept(slow_module: str) -> None:
    with lazy_imports.deferred(slow_module):
        module = __import__(slow_module)
    module.LAST = 3  # a test's patch, before anything used the module
    assert module.LAST == 3 and module.FIRST == 1
