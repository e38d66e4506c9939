"""Benchmark: the client CPU and the wall time of an entity-group transaction by the number of operations it holds,
and of the lease's transaction with and without its `call|` row (issue 18: where the SDK's multipart body is the
cost, measure the alternatives before choosing). Not part of `make test`.

In one warm process against Azurite, interleaved in a shuffled order each round (the seed is printed; BENCH_SEED
repeats it): a single insert (the raw floor); transactions of 1 to 5 unconditional upserts of rows shaped as the
lease's are (the number row, the `free|` rows, the agent's row, the call's row, in that order); the lease's own
5 operations, built here as `TablePoolStore.take` builds them (the `free|` row deleted if-match, the call's row
upserted, the agent's row created, the number row replaced, the new `free|` row upserted), the same 4 without the
call's row, and the adapter's `take` itself, as this tree sends it. Process CPU (`time.process_time`: the SDK parses the
answer on threads of its own) and wall time per operation; medians over BENCH_REPS rounds (300) after 20 warm-up.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import TableClient, UpdateMode

from bench.common import AzuriteDeps, fill_pool, median, ratio
from local.azurite import Azurite
from shared.adapters.table_pool import TABLE, slot_key, to_entity
from shared.domain.lease import FreeSlot, PoolNumber

REPS = int(os.environ.get("BENCH_REPS", "300"))
WARMUP = 20
REPLACE = {"mode": UpdateMode.REPLACE}
Work = Callable[[], object]


class Rows:
    """The rows of one lease as the pool writes them, on a number of its own (each round leases a fresh one)."""

    def __init__(self, deps: AzuriteDeps, region: str = "1") -> None:
        key = uuid.uuid4().hex[:12]
        self.number = PoolNumber(f"+1{int(key, 16) % 10**10:010d}", region)
        lease = deps.policy.new_lease(f"call-{key}", f"agent-{key}", f"8:acs:{key}", deps.clock.now(), False,
                                      "911", "US")
        self.taken = PoolNumber(self.number.number, region, lease=lease)
        self.free = self._row(str(slot_key(self.number)))
        self.new_free = self._row(str(slot_key(self.taken)))
        self.agent = self._row(f"agent|{lease.agent_id}") | {"owner": lease.agent_id, "holds": self.number.number}
        self.call = self._row(f"call|{lease.call_id}") | {"owner": lease.call_id}

    def _row(self, key: str) -> dict[str, Any]:
        return {"PartitionKey": self.number.region, "RowKey": key, "number": self.number.number}

    def upserts(self, count: int) -> list[Any]:
        rows = [to_entity(self.taken), self.free, self.agent, self.new_free, self.call][:count]
        return [("upsert", row, REPLACE) for row in rows]

    def lease(self, free_etag: str, with_call_row: bool) -> list[Any]:
        """The lease's transaction: conditional on the `free|` row as read, the agent's row created."""
        ops: list[Any] = [
            ("delete", self.free, {"etag": free_etag, "match_condition": MatchConditions.IfNotModified}),
            ("upsert", self.call, REPLACE),
            ("create", self.agent),
            ("update", to_entity(self.taken), REPLACE),
            ("upsert", self.new_free, REPLACE),
        ]
        return ops if with_call_row else [op for op in ops if op[1] is not self.call]


def insert(table: TableClient) -> Work:
    return lambda: table.create_entity({"PartitionKey": "raw", "RowKey": uuid.uuid4().hex}, retry_total=0)


def upserts(deps: AzuriteDeps, table: TableClient, count: int) -> Work:
    ops = Rows(deps, region="txn").upserts(count)
    return lambda: table.submit_transaction(ops, retry_total=0)


def lease(deps: AzuriteDeps, table: TableClient, with_call_row: bool) -> Work:
    """A number and its `free|` row put in place (not timed), then the lease's transaction on them."""
    rows = Rows(deps)
    placed = table.submit_transaction([("upsert", to_entity(rows.number), REPLACE), ("upsert", rows.free, REPLACE)])
    ops = rows.lease(placed[1]["etag"], with_call_row)
    return lambda: table.submit_transaction(ops, retry_total=0)


def adapter_take(deps: AzuriteDeps, slots: list[FreeSlot]) -> Work:
    """`TablePoolStore.take` as the app calls it: a fresh free number, an agent without a row yet."""
    slot, key = slots.pop(), uuid.uuid4().hex[:12]
    lease = deps.policy.new_lease(f"call-{key}", f"agent-{key}", None, deps.clock.now(), False, "911", "US")
    return lambda: deps.pool.take(slot, lease)


def measured(work: Work) -> tuple[float, float]:
    """(process CPU, wall time) of one run of `work`, in ms."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def shapes(deps: AzuriteDeps, slots: list[FreeSlot]) -> dict[str, Callable[[], Work]]:
    """Each shape's preparation (not timed), which returns its timed work."""
    table, raw = deps.tables.get(TABLE), deps.tables.get("rawinserts")
    named: dict[str, Callable[[], Work]] = {"insert (the raw floor)": lambda: insert(raw)}
    for count in range(1, 6):
        named[f"transaction of {count} upsert{'s' if count > 1 else ''}"] = partial(upserts, deps, table, count)
    named["lease, 5 operations (with the call row)"] = lambda: lease(deps, table, True)
    named["lease, 4 operations (without it)"] = lambda: lease(deps, table, False)
    named["TablePoolStore.take (this tree)"] = lambda: adapter_take(deps, slots)
    return named


def report(samples: dict[str, list[tuple[float, float]]]) -> None:
    cpu = {name: median([c for c, _ in s]) for name, s in samples.items()}
    wall = {name: median([w for _, w in s]) for name, s in samples.items()}
    floor = next(iter(samples))
    print(f"{'operation':<42} {'CPU ms':>7} {'x insert':>8} {'wall ms':>8} {'x insert':>8}")
    for name in samples:
        print(f"{name:<42} {cpu[name]:>7.2f} {ratio(cpu[name], cpu[floor]):>8} {wall[name]:>8.2f} "
              f"{ratio(wall[name], wall[floor]):>8}")
    five, four = "lease, 5 operations (with the call row)", "lease, 4 operations (without it)"
    take = "TablePoolStore.take (this tree)"
    saved = cpu[five] - cpu[four]
    paired = statistics.quantiles([a[0] - b[0] for a, b in zip(samples[five], samples[four], strict=True)], n=4)
    print(f"4 operations vs 5: CPU {ratio(cpu[four], cpu[five])} ({saved:.2f} ms saved = "
          f"{100 * saved / cpu[five]:.1f} % of the 5-operation lease's CPU, {100 * saved / cpu[take]:.1f} % of the "
          f"adapter's take's; round by round "
          f"the median saving is {paired[1]:.2f} ms, quartiles {paired[0]:.2f} / {paired[2]:.2f}), wall "
          f"{ratio(wall[four], wall[five])}")
    slope = (cpu["transaction of 5 upserts"] - cpu["transaction of 1 upsert"]) / 4
    print(f"each operation more in a transaction: {slope:.2f} ms of CPU; a transaction of 1 costs "
          f"{ratio(cpu['transaction of 1 upsert'], cpu[floor])} the CPU of an insert (n={REPS} each)")


def main() -> None:
    seed = int(os.environ.get("BENCH_SEED") or random.randrange(1_000_000))
    print(f"seed {seed} (BENCH_SEED={seed} repeats the order), {REPS} rounds after {WARMUP} warm-up")
    rng = random.Random(seed)
    with Azurite() as azurite:
        deps = AzuriteDeps(azurite.connection_string)
        fill_pool(deps, REPS + WARMUP)
        slots = deps.pool.free_numbers("1", deps.clock.now(), REPS + WARMUP)
        assert len(slots) == REPS + WARMUP
        prepare = shapes(deps, slots)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in prepare}
        for i in range(WARMUP + REPS):
            for name in rng.sample(list(prepare), len(prepare)):
                one = measured(prepare[name]())
                if i >= WARMUP:
                    samples[name].append(one)
        report(samples)


if __name__ == "__main__":
    main()
