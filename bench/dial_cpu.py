"""Benchmark: the CPU an emergency dial costs this process before its answer, against the client CPU of the raw SDK
operations it makes, measured in the same run (issue 18's goal: at most 2x). Not part of `make test`.

Process CPU (`time.process_time`, every thread: the dial overlaps its round trips on a pool) over sequential dials
on a warm process against Azurite, each by an agent of her own; what the dial defers after its answer (the incident's
announced mark) is run and measured apart. The raw operations are the ones the dial's storage requests are: two point
reads (the agent; her row in the pool, absent), the first page of the free-number index, the 5-operation lease
transaction, the incident's insert and the window's two upserts, done with the SDK directly on the same client.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.common import AzuriteDeps, fill_pool, ratio
from local.azurite import Azurite
from shared.adapters.threads import Threads
from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy
from shared.services.outbound import place_outbound_call

DIALS = 200
WARMUP = 20


class AfterTheAnswer(Threads):
    """The app's thread pool, but what a dial defers waits until it is run apart."""

    def __init__(self) -> None:
        super().__init__()
        self.deferred: list[Callable[[], None]] = []

    def later(self, call: Callable[[], None]) -> None:
        self.deferred.append(call)


def cpu_ms(work: Callable[[], Any], times: int) -> float:
    """Process CPU per run of `work`, in ms."""
    start = time.process_time()
    for _ in range(times):
        work()
    return (time.process_time() - start) * 1000 / times


def raw_requests(deps: AzuriteDeps) -> Callable[[], None]:
    """One set of the raw requests a dial makes, on the dial's own tables."""
    agents, pool, calls = (deps.tables.get(name) for name in ("agents", "callbacknumbers", "emergencycalls"))
    windows = deps.tables.get("callbackwindows")
    agents.upsert_entity({"PartitionKey": "agent", "RowKey": "raw", "displayName": "Raw", "x": "y" * 200})

    def once() -> None:
        key = uuid.uuid4().hex
        agents.get_entity("agent", "raw")
        with contextlib.suppress(Exception):  # absent, as for an agent's first dial
            pool.get_entity("1", f"agent|{key}")
        next(pool.query_entities("PartitionKey eq '1' and RowKey ge 'free|' and RowKey lt 'free|~'",
                                 results_per_page=32).by_page(), None)
        pool.submit_transaction([("upsert", {"PartitionKey": "raw", "RowKey": f"{key}-{i}", "x": "x" * 60})
                                 for i in range(5)], retry_total=0)
        calls.create_entity({"PartitionKey": key, "RowKey": "", **{f"f{i}": "v" * 20 for i in range(20)}})
        for side in ("acs", "agent"):
            windows.upsert_entity({"PartitionKey": f"{side}:{key}", "RowKey": key, "until": "2026-01-01T00:00:00"})
    return once


def main() -> None:
    with Azurite() as azurite:
        deps = AzuriteDeps(azurite.connection_string)
        deps.concurrency = AfterTheAnswer()
        deps.windows._concurrency = deps.concurrency  # noqa: SLF001 (the same pool, as the container wires it)
        deps.policy = LeasePolicy(window=timedelta(0), quarantine=timedelta(0), max_call=timedelta(0))
        count = DIALS + WARMUP
        for i in range(count):
            deps.agents.put(Agent(f"agent-{i}", f"Agent {i}", acs_user_id=f"8:acs:r_{i}",
                                  email_recipients="s@example.com"))
        fill_pool(deps, 100)
        agents = iter(range(count))

        def dial() -> None:
            answer = place_outbound_call(OutboundCall(f"agent-{next(agents)}", "911", "US"), deps, deps.policy)
            assert answer["callbackNumberSource"] == "pool", answer["warnings"]
        raw = raw_requests(deps)
        cpu_ms(dial, WARMUP)
        cpu_ms(raw, WARMUP)
        deps.concurrency.deferred.clear()
        dial_cpu = cpu_ms(dial, DIALS)
        raw_cpu = cpu_ms(raw, DIALS)
        deferred = list(deps.concurrency.deferred)
        after = cpu_ms(lambda: deferred.pop()(), len(deferred)) if deferred else 0.0
        print(f"CPU of this process per emergency dial before its answer: {dial_cpu:.1f} ms; the client CPU of the raw "
              f"SDK requests it makes: {raw_cpu:.1f} ms = {ratio(dial_cpu, raw_cpu)} (goal <= 2x); after the answer "
              f"(the announced mark): {after:.1f} ms (n={DIALS})")


if __name__ == "__main__":
    main()
