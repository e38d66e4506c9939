"""Benchmark: a burst of 200 simultaneous emergency calls on a 200-number pool, against Azurite."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.common import AzuriteDeps, fictional_numbers, percentiles
from local.azurite import Azurite
from shared.domain.lease import PoolNumber
from shared.services.leasing import lease_number

CALLS = 200


def main() -> None:
    with Azurite() as azurite:
        deps = AzuriteDeps(azurite.connection_string)
        for n in fictional_numbers(CALLS):
            deps.pool.add(PoolNumber(n, "1"))
        deps.pool.list_region("1")  # warm the connection and the table
        start_gate = threading.Barrier(CALLS)
        latencies: list[float] = []

        def one(i: int) -> str | None:
            start_gate.wait()
            begin = time.perf_counter()
            won = lease_number("1", str(uuid.uuid4()), None, f"agent-{i}", deps.clock.now(), False, deps.pool,
                               deps.policy)
            latencies.append((time.perf_counter() - begin) * 1000)
            return won.number if won else None

        before, wall = deps.counter.count, time.perf_counter()
        with ThreadPoolExecutor(max_workers=CALLS) as ex:
            results = list(ex.map(one, range(CALLS)))
        wall_s = time.perf_counter() - wall
        leased = [r for r in results if r]
        print(f"{CALLS} simultaneous calls on a {CALLS}-number pool: {len(leased)} leased, "
              f"{len(set(leased))} distinct, {CALLS - len(leased)} without a number, wall {wall_s:.2f} s")
        print(f"per-call latency: {percentiles(latencies)}")
        print(f"storage requests: {(deps.counter.count - before) / CALLS:.2f} per call in the burst")


if __name__ == "__main__":
    main()
