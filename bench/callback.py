"""Benchmark: IncomingCall -> redirect on a warm process, against Azurite and the ACS stand-in.

Prints p50/p99 of the time from the event reaching the use case to the redirect request leaving the app (the
decision path), the same including the Call Automation round trip to the stand-in, and Table Storage requests
per IncomingCall.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.common import AzuriteDeps, fill_pool, median, percentiles, ratio, raw_point_reads
from bench.latency import latency_ms, relayed, storage_mode
from local.acs.standin import AcsStandIn
from local.azurite import ROOT, Azurite
from shared.adapters.acs_calls import AcsCallControl
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.routing import IncomingCall
from shared.services.callbacks import record_callback, route_callback
from shared.services.leasing import lease_number

CALLS = 300
WARMUP = 20
AGENT = "8:acs:r_alice"


class TimedCallControl:
    """Notes when the redirect leaves the app, then sends it through the real SDK."""

    def __init__(self, real: AcsCallControl) -> None:
        self.real = real
        self.left_at = self.answered_at = 0.0

    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        self.left_at = time.perf_counter()
        self.real.redirect(incoming_call_context, target_raw_id)
        self.answered_at = time.perf_counter()


def main() -> None:
    with Azurite() as azurite, relayed(azurite.port, latency_ms()) as storage:
        print(storage_mode())
        acs = AcsStandIn(certs_dir=ROOT / ".local" / "certs")
        connection = acs.start()
        os.environ["REQUESTS_CA_BUNDLE"] = str(acs.ca_bundle)
        try:
            run(storage, connection)
        finally:
            acs.stop()


def run(storage: str, acs_connection: str) -> None:
    deps: Any = AzuriteDeps(storage)
    deps.call_control = TimedCallControl(AcsCallControl(acs_connection))
    deps.agents.put(Agent("alice", "Alice", acs_user_id=AGENT))
    fill_pool(deps, 10)
    leased = lease_number("1", "call-1", deps.agents.get("alice"), "alice", deps.clock.now(), False, deps.pool,
                          deps.policy)
    assert leased is not None
    incident = EmergencyCall("call-1", "alice", "911", "US", False, deps.clock.now(), "Alice", AGENT)
    deps.calls.create(incident)
    decision_ms, total_ms, redirect_rtt, requests, raw, recorded_ms = [], [], [], [], [], []
    for i in range(CALLS + WARMUP):
        deps.calls.save(incident, deps.calls.get("call-1")[1])  # each callback the first of its incident
        sample = raw_point_reads(deps, 1)
        call_id = str(uuid.uuid4())
        event = IncomingCall(call_id, "4:" + leased.number, "4:+12025550177", "ctx-" + call_id, "srv-" + call_id,
                             call_id, deps.clock.now())
        before, start = deps.counter.count, time.perf_counter()
        result = route_callback(event, deps, timedelta(seconds=20), None)
        assert result.outcome == "redirected", result
        if i >= WARMUP:
            decision_ms.append((deps.call_control.left_at - start) * 1000)
            total_ms.append((deps.call_control.answered_at - start) * 1000)
            redirect_rtt.append((deps.call_control.answered_at - deps.call_control.left_at) * 1000)
            requests.append(deps.counter.count - before)
            raw += sample
        start = time.perf_counter()
        record_callback(event, result, deps)  # what the function does once route_callback has returned
        if i >= WARMUP:
            recorded_ms.append((time.perf_counter() - start) * 1000)
    redirect_ms = median(redirect_rtt)
    print(f"raw point read: {percentiles(raw)}")
    print(f"IncomingCall -> redirect request leaving the app: {percentiles(decision_ms)}; "
          f"{ratio(median(decision_ms), median(raw))} raw point read (goal <= 2x)")
    print(f"IncomingCall -> ACS answering the redirect (HTTPS stand-in): {percentiles(total_ms)}; redirect's own "
          f"round trip p50 {redirect_ms:.1f} ms; goal p50 <= 2 x raw read + redirect = "
          f"{2 * median(raw) + redirect_ms:.1f} ms")
    print(f"record-keeping after the redirect (the incident's entry, CallbackRouted; event bus left out): "
          f"{percentiles(recorded_ms)}: after route_callback has returned, so never before the redirect")
    print(f"Table Storage requests per IncomingCall: {min(requests)}..{max(requests)} (the lease's point read and "
          "the claim against duplicates at once, before the redirect; the claim marked done after it)")


if __name__ == "__main__":
    main()
