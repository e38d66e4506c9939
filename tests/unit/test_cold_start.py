"""Indexing the app (what the worker does at a cold start) loads no heavy library and no use case (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("phonenumbers", "email_validator", "jinja2", "azure.data.tables", "azure.core", "azure.eventgrid",
         "azure.communication", "opentelemetry", "azure.monitor", "shared.services.outbound", "shared.domain.lease",
         "babel", "shared.locales")
PROBE = """
import json, sys
import function_app
function_app.app.get_functions()
ran = [m for m, v in sys.modules.items() if type(v).__name__ != "_DeferredModule"]
print(json.dumps(ran))
"""


def loaded_by_indexing() -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_indexing_loads_no_heavy_library_and_no_use_case() -> None:
    ran = loaded_by_indexing()
    assert [m for m in ran if m.startswith(HEAVY)] == []


def test_a_deferred_use_case_runs_on_first_use() -> None:
    probe = PROBE + "from shared.services import outbound\nprint(outbound.place_outbound_call.__name__)\n"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.strip().splitlines()[-1] == "place_outbound_call"


DIAL = """
import json, sys
from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.services.outbound import place_outbound_call
from tests.fakes import FakeDeps
deps = FakeDeps()
deps.agents.put(Agent("alice", "Alice Example", email_recipients="security@example.com", locale="fr-CA"))
deps.add_numbers("+12025550100")
answer = place_outbound_call(OutboundCall("alice", "911", "CA", None, None), deps, deps.policy)
assert answer["emergency"] and answer["callbackNumber"]
print(json.dumps([m for m in sys.modules if m.startswith(("babel", "shared.locales", "jinja2"))]))
"""


def test_an_emergency_dial_loads_neither_the_catalogues_nor_babel() -> None:
    # GIVEN an agent whose notifications are in French; WHEN she dials 911 THEN the dial's path loads no locale data
    out = subprocess.run([sys.executable, "-c", DIAL], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
