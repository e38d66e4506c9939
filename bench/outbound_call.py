"""Benchmark: the emergency dial on a warm process against Azurite, pool of 10 vs 5,000 (not part of `make test`).

Interleaved, call by call: a raw conditional insert, the lease (`classify` + `lease_number`) and the whole use case
(`place_outbound_call`, event bus left out) on a 10-number and on a 5,000-number pool, and the dial after its
pre-dial hold (`pre_dial`, then the dial that claims it; on the large pool, whose claimed holds stay held a while).
Leases lapse at once (zero window and quarantine), so the same pools serve every call; each call is by an agent of
its own, as in a contact center (an agent's own redial within her window is a different path: it keeps her number).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from bench.common import (
    AzuriteDeps,
    fill_pool,
    median,
    percentiles,
    ratio,
    raw_conditional_inserts,
    raw_transaction,
)
from bench.latency import latency_ms, relayed, storage_mode
from local.azurite import Azurite
from shared.adapters.table_pool import TABLE
from shared.commands import OutboundCall
from shared.domain import numbers
from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy
from shared.services.leasing import lease_number
from shared.services.outbound import place_outbound_call, pre_dial

CALLS = 300
WARMUP = 20
SIZES = (10, 5000)


def ready(connection_string: str, pool_size: int) -> AzuriteDeps:
    deps = AzuriteDeps(connection_string)
    deps.policy = LeasePolicy(window=timedelta(0), quarantine=timedelta(0), max_call=timedelta(0))
    for i in range(CALLS + WARMUP):
        deps.agents.put(Agent(f"agent-{i}", f"Agent {i}", acs_user_id=f"8:acs:r_{i}", email_recipients="s@example.com"))
    fill_pool(deps, pool_size)
    return deps


def lease_once(deps: AzuriteDeps) -> tuple[float, int]:
    before, start = deps.counter.count, time.perf_counter()
    c = numbers.classify("911", "US")
    region = numbers.region_for_country(c.country or "US") or "1"
    won = lease_number(region, str(uuid.uuid4()), None, f"lease-{uuid.uuid4()}", deps.clock.now(), c.test,
                       deps.pool, deps.policy)
    assert won is not None
    return (time.perf_counter() - start) * 1000, deps.counter.count - before


def dial_once(deps: AzuriteDeps, i: int) -> tuple[float, int]:
    before, start = deps.counter.count, time.perf_counter()
    answer = place_outbound_call(OutboundCall(f"agent-{i}", "911", "US"), deps, deps.policy)
    elapsed = (time.perf_counter() - start) * 1000
    assert answer["callbackNumberSource"] == "pool", answer["warnings"]
    time.sleep(0.005)  # the mark that follows the answer (adapters/threads.py) is counted with its dial
    return elapsed, deps.counter.count - before


def held_dial_once(deps: AzuriteDeps, i: int) -> tuple[float, int]:
    """The dial after its pre-dial hold (the hold itself is not timed: it happens while she types)."""
    call_id, agent = str(uuid.uuid4()), f"agent-{i}"
    held = pre_dial(OutboundCall(agent, "911", "US", None, call_id), deps, deps.policy)
    assert held["preDial"] is True, held
    before, start = deps.counter.count, time.perf_counter()
    answer = place_outbound_call(OutboundCall(agent, "911", "US", None, call_id, pre_dialed=True), deps, deps.policy)
    elapsed = (time.perf_counter() - start) * 1000
    assert answer["callbackNumberSource"] == "pool" and answer["emergencyCallId"] == call_id, answer["warnings"]
    time.sleep(0.005)
    return elapsed, deps.counter.count - before


def main() -> None:
    with Azurite() as azurite, relayed(azurite.port, latency_ms()) as storage:
        print(storage_mode())
        pools = {size: ready(storage, size) for size in SIZES}
        raw: list[float] = []
        txn: list[float] = []
        ranged: dict[int, list[float]] = {size: [] for size in SIZES}
        lease: dict[int, list[tuple[float, int]]] = {size: [] for size in SIZES}
        dial: dict[int, list[tuple[float, int]]] = {size: [] for size in SIZES}
        held: list[tuple[float, int]] = []
        for i in range(CALLS + WARMUP):
            sample = raw_conditional_inserts(pools[SIZES[0]], 1)
            one_txn = raw_transaction(pools[SIZES[0]])
            for size in SIZES if i % 2 else reversed(SIZES):
                one_range = raw_first_page(pools[size])
                one_lease, one_dial = lease_once(pools[size]), dial_once(pools[size], i)
                if i >= WARMUP:
                    ranged[size].append(one_range)
                    lease[size].append(one_lease)
                    dial[size].append(one_dial)
            one_held = held_dial_once(pools[SIZES[1]], i)
            if i >= WARMUP:
                raw += sample
                txn.append(one_txn)
                held.append(one_held)
        report(raw, lease, dial)
        small, large = (median(ranged[s]) for s in SIZES)
        floor = small + median(txn) + median(raw)
        dial_p50 = median([m for m, _ in dial[SIZES[0]]])
        print(f"raw 5-operation entity-group transaction (the lease's): {percentiles(txn)} = "
              f"{ratio(median(txn), median(raw))} raw insert")
        print(f"the dial's floor, its three stages' main requests done raw one after another (page {small:.1f} + "
              f"transaction {median(txn):.1f} + insert {median(raw):.1f} ms) = {floor:.1f} ms = "
              f"{ratio(floor, median(raw))} raw insert; the dial (pool of {SIZES[0]}) is {ratio(dial_p50, floor)} "
              "its floor")
        held_p50 = median([m for m, _ in held])
        print(f"dial after its pre-dial hold (claims it: no page, no transaction), pool of {SIZES[1]}: "
              f"{percentiles([m for m, _ in held])}; storage requests {min(r for _, r in held)}.."
              f"{max(r for _, r in held)}; {ratio(held_p50, dial_p50)} the dial without a hold, "
              f"{ratio(held_p50, floor)} the dial's floor")
        time.sleep(0.2)  # the last dial's mark, after its answer, lands before Azurite stops
        print(f"raw first page of a RowKey range (the index query, SDK directly), pool of {SIZES[0]}: "
              f"{small:.1f} ms, of {SIZES[1]}: {large:.1f} ms = {ratio(large, small)} (Azurite filters the whole "
              "partition for a range; Table Storage seeks the key)")


def raw_first_page(deps: AzuriteDeps) -> float:
    """The index query as a raw operation: 16 rows of a RowKey range in the pool's partition, in ms."""
    table = deps.tables.get(TABLE)
    start = time.perf_counter()
    pages = table.query_entities("PartitionKey eq '1' and RowKey ge 'free|' and RowKey lt 'free|~'",
                                 results_per_page=16).by_page()
    list(next(pages))
    return (time.perf_counter() - start) * 1000


def report(raw: list[float], lease: dict[int, list[tuple[float, int]]],
           dial: dict[int, list[tuple[float, int]]]) -> None:
    raw_p50 = median(raw)
    print(f"raw conditional insert: {percentiles(raw)}")
    for size in SIZES:
        ms = [m for m, _ in lease[size]]
        print(f"lease, pool of {size}: {percentiles(ms)}; {ratio(median(ms), raw_p50)} raw insert; storage "
              f"requests {min(r for _, r in lease[size])}..{max(r for _, r in lease[size])}")
    for size in SIZES:
        ms = [m for m, _ in dial[size]]
        print(f"dial (place_outbound_call), pool of {size}: {percentiles(ms)}; {ratio(median(ms), raw_p50)} raw "
              f"insert; storage requests {min(r for _, r in dial[size])}..{max(r for _, r in dial[size])}")
    small, large = (median([m for m, _ in lease[s]]) for s in SIZES)
    print(f"lease p50, pool of {SIZES[1]} vs {SIZES[0]}: {ratio(large, small)} (goal <= 1.2x)")
    small, large = (median([m for m, _ in dial[s]]) for s in SIZES)
    print(f"dial p50, pool of {SIZES[1]} vs {SIZES[0]}: {ratio(large, small)} (goal <= 1.2x)")


if __name__ == "__main__":
    main()
