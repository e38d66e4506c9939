"""Benchmark: the outbound_call emergency path on a warm process against Azurite (not part of `make test`).

Prints p50/p99 latency of (a) classification + lease and (b) the whole use case (agent read, lease, incident
record, callback window), and Table Storage requests per call.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from bench.common import AzuriteDeps, fictional_numbers, percentiles
from local.azurite import Azurite
from shared.commands import OutboundCall
from shared.domain import numbers
from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy, PoolNumber
from shared.services.leasing import lease_number
from shared.services.outbound import place_outbound_call

CALLS = 300
WARMUP = 20


def ready(connection_string: str, pool_size: int) -> AzuriteDeps:
    """A pool whose leases lapse at once (zero window and quarantine), so sequential calls can reuse it."""
    deps = AzuriteDeps(connection_string)
    deps.policy = LeasePolicy(window=timedelta(0), quarantine=timedelta(0), max_call=timedelta(0))
    deps.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", email_recipients="s@example.com"))
    for n in fictional_numbers(pool_size):
        deps.pool.add(PoolNumber(n, "1"))
    return deps


def run(connection_string: str, pool_size: int) -> None:
    deps = ready(connection_string, pool_size)
    lease_ms, lease_requests = [], []
    for i in range(CALLS + WARMUP):
        before, start = deps.counter.count, time.perf_counter()
        c = numbers.classify("911", "US")
        region = numbers.region_for_country(c.country or "US") or "1"
        won = lease_number(region, str(uuid.uuid4()), None, "alice", deps.clock.now(), c.test, deps.pool, deps.policy)
        elapsed = (time.perf_counter() - start) * 1000
        assert won is not None
        if i >= WARMUP:
            lease_ms.append(elapsed)
            lease_requests.append(deps.counter.count - before)
    print(f"classification + lease: {percentiles(lease_ms)}; storage requests per lease: "
          f"min {min(lease_requests)}, max {max(lease_requests)}, mean {sum(lease_requests) / len(lease_requests):.2f}")

    deps = ready(connection_string, pool_size)
    whole_ms, whole_requests = [], []
    for i in range(CALLS + WARMUP):
        before, start = deps.counter.count, time.perf_counter()
        answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
        elapsed = (time.perf_counter() - start) * 1000
        assert answer["callbackNumberSource"] == "pool", answer["warnings"]
        if i >= WARMUP:
            whole_ms.append(elapsed)
            whole_requests.append(deps.counter.count - before)
    print(f"whole outbound_call use case: {percentiles(whole_ms)}; storage requests per call: "
          f"min {min(whole_requests)}, max {max(whole_requests)}")


def main() -> None:
    with Azurite() as azurite:
        for pool_size in (10, 50, 200):
            print(f"outbound_call emergency path, pool of {pool_size}, {CALLS} sequential calls after {WARMUP} "
                  "warm-up, Azurite in memory")
            run(azurite.connection_string, pool_size)


if __name__ == "__main__":
    main()
