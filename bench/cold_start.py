"""Benchmark: a cold start. `import function_app` plus indexing vs `import azure.functions`, each in fresh
interpreters, interleaved; then the first dial and the first callback of a fresh interpreter after indexing
(libraries, SDK clients and tables made on first use) against the same process's next ones."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import AzuriteDeps, fill_pool, median, ratio
from local.azurite import Azurite
from shared.domain.calls import Agent

ROUNDS = 15
ROOT = Path(__file__).resolve().parents[1]
INDEX = "import time; t = time.perf_counter(); import function_app; function_app.app.get_functions(); " \
        "print(time.perf_counter() - t)"
RAW = "import time; t = time.perf_counter(); import azure.functions; print(time.perf_counter() - t)"


def fresh(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def indexing() -> None:
    app: list[float] = []
    raw: list[float] = []
    for _ in range(ROUNDS):
        app.append(float(fresh(INDEX)))
        raw.append(float(fresh(RAW)))
    print(f"import function_app + get_functions(): median {median(app) * 1000:.0f} ms vs import azure.functions "
          f"{median(raw) * 1000:.0f} ms = {ratio(median(app), median(raw))} (goal <= 1.3x; {ROUNDS} fresh "
          "interpreters each, interleaved)")


FIRST_USE = """
import json, sys, time, uuid
from datetime import timedelta
import function_app
function_app.app.get_functions()
t0 = time.perf_counter()
from bench.common import AzuriteDeps
from shared.commands import OutboundCall
from shared.domain.routing import IncomingCall
from shared.services.callbacks import route_callback
from shared.services.outbound import place_outbound_call

class NoRedirect:
    def redirect(self, context, target):
        self.left = time.perf_counter()

deps = AzuriteDeps(sys.argv[1], sys.argv[2])
deps.call_control = NoRedirect()
times = {"dial": [], "callback": []}
for i in range(6):
    start = time.perf_counter() if i else t0
    answer = place_outbound_call(OutboundCall(f"agent-{i}", "911", "US"), deps, deps.policy)
    times["dial"].append((time.perf_counter() - start) * 1000)
    assert answer["callbackNumberSource"] == "pool", answer
    cid = str(uuid.uuid4())
    call = IncomingCall(cid, "4:" + answer["callbackNumber"], "4:+12025550177", "ctx-" + cid, "srv-" + cid, cid,
                        deps.clock.now())
    start = time.perf_counter()
    result = route_callback(call, deps, timedelta(seconds=20), None)
    times["callback"].append((deps.call_control.left - start) * 1000)
    assert result.outcome == "redirected", result
print(json.dumps(times))
"""


def first_use(connection_string: str) -> None:
    deps = AzuriteDeps(connection_string)
    fill_pool(deps, 50)
    for i in range(6):
        deps.agents.put(Agent(f"agent-{i}", f"Agent {i}", acs_user_id=f"8:acs:r_{i}", email_recipients="s@example.com"))
    times = json.loads(fresh(FIRST_USE, connection_string, deps.prefix))
    for path, what in (("dial", "place_outbound_call, from the end of indexing"),
                       ("callback", "route_callback, IncomingCall to the redirect leaving (no ACS round trip)")):
        first, warm = times[path][0], median(times[path][1:])
        print(f"first {path} after a cold start ({what}): {first:.0f} ms vs the next ones' median {warm:.1f} ms "
              f"= {ratio(first, warm)}")


def main() -> None:
    start = time.perf_counter()
    indexing()
    with Azurite() as azurite:
        first_use(azurite.connection_string)
    print(f"(cold start benchmark: {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
