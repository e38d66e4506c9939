"""The render process itself: started on first use only, and unable to outlive its parent's interest for long."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.domain.template import NotificationTemplate
from shared.errors import ValidationError
from shared.services import templates
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps
from tests.security.bombs import LOOP

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_starts_no_render_process() -> None:
    # GIVEN a fresh interpreter; WHEN the Functions worker would import the app
    code = ("import function_app, sys; from shared.adapters import render_process as r; "
            "print(r._pools == {}, 'shared.adapters.render_worker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # THEN no pool exists yet and the worker module is not loaded
    assert out.stdout.split() == ["True", "False"]


def test_a_worker_whose_parent_gave_up_ends_after_its_cpu_budget() -> None:
    # GIVEN a worker started by hand with a 1 s CPU budget, busy with an endless template
    env = dict(os.environ, RENDER_CPU_SECONDS="1", PYTHONPATH=str(ROOT))
    worker = subprocess.Popen([sys.executable, "-m", "shared.adapters.render_worker"], cwd=ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert worker.stdin is not None and worker.stdout is not None
    assert json.loads(worker.stdout.readline()) == {"ready": True}
    request = {"op": "render", "template": {"subject": "s", "html": "", "text": LOOP}, "values": {}, "is_test": False}
    worker.stdin.write(json.dumps(request).encode() + b"\n")
    worker.stdin.close()  # WHEN nobody waits for the answer any more
    # THEN the kernel ends it (SIGXCPU) soon after its budget instead of letting it burn CPU for good
    started = time.monotonic()
    try:
        code = worker.wait(timeout=10)
    finally:
        worker.kill()
    print(f"\nabandoned render ended by its CPU limit after {time.monotonic() - started:.1f} s (code {code})")
    assert code != 0


def test_restoring_an_old_version_that_exceeds_today_s_limits_is_refused() -> None:
    # GIVEN a version saved before the limits existed
    deps = NotifyDeps()
    deps.templates.save(NotificationTemplate("Alert", "", LOOP), "admin", T0)
    # WHEN an admin restores it; THEN 400 and no new version
    with pytest.raises(ValidationError) as refused:
        templates.restore(1, "admin@example.com", deps)
    assert "took longer" in refused.value.message and len(deps.templates.saved) == 1
