"""Benchmark: concurrent dialers against Azurite: 8 on one host, 8 across two hosts (processes) on one storage
account, each compared with 8 threads of raw conditional inserts in the same run; then a 500-call burst on a
500-number pool. Every won number is checked against the pool afterwards: 0 duplicates, 0 lost leases."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.common import AzuriteDeps, fill_pool, percentiles
from local.azurite import Azurite
from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.services.leasing import lease_number
from shared.services.outbound import place_outbound_call

DIALERS = 8
SECONDS = 6.0
BURST = 500


def raw_inserts_per_s(connection_string: str, threads: int = DIALERS, seconds: float = SECONDS) -> float:
    """8 threads, each with its own client, doing conditional inserts for `seconds`."""
    def worker(_: int) -> int:
        deps = AzuriteDeps(connection_string)
        table = deps.tables.get("rawinserts")
        done, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            table.create_entity({"PartitionKey": "raw", "RowKey": uuid.uuid4().hex}, retry_total=0)
            done += 1
        return done

    with ThreadPoolExecutor(threads) as ex:
        return sum(ex.map(worker, range(threads))) / seconds


def dialers(connection_string: str, prefix: str, threads: int, seconds: float, tag: str,
            whole: bool) -> list[tuple[str, str | None]]:
    """`threads` dialers, each with its own client, dialing for `seconds`: (call id, number won) per dial."""
    def worker(t: int) -> list[tuple[str, str | None]]:
        deps = AzuriteDeps(connection_string, prefix)
        won: list[tuple[str, str | None]] = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            agent, call_id = f"{tag}-{t}-{len(won)}", str(uuid.uuid4())
            if whole:
                answer = place_outbound_call(OutboundCall(agent, "911", "US", emergency_call_id=call_id), deps,
                                             deps.policy)
                won.append((call_id, answer["callbackNumber"] if answer["callbackNumberSource"] == "pool" else None))
            else:
                n = lease_number("1", call_id, None, agent, deps.clock.now(), False, deps.pool, deps.policy)
                won.append((call_id, n.number if n else None))
        return won

    with ThreadPoolExecutor(threads) as ex:
        return [w for batch in ex.map(worker, range(threads)) for w in batch]


def check(deps: AzuriteDeps, won: list[tuple[str, str | None]]) -> str:
    numbers = [n for _, n in won if n]
    holders = {n.number: n.lease.call_id for n in deps.pool.list_region("1") if n.lease}
    lost = sum(1 for call_id, n in won if n and holders.get(n) != call_id)
    return (f"{len(won)} dials, {len(numbers)} numbers, {len(numbers) - len(set(numbers))} duplicates, {lost} lost, "
            f"{len(won) - len(numbers)} without a number")


def pool_for(connection_string: str, size: int, agents: int = 0, tags: tuple[str, ...] = ()) -> AzuriteDeps:
    """A pool of `size` free numbers and, for whole dials, `agents` configured agents per dialer and tag."""
    deps = AzuriteDeps(connection_string)
    fill_pool(deps, size)
    for tag in tags:
        for t in range(DIALERS):
            for i in range(agents):
                deps.agents.put(Agent(f"{tag}-{t}-{i}", f"Agent {t}-{i}", email_recipients="s@example.com"))
    return deps


def one_host(connection_string: str, whole: bool) -> None:
    what = "dials (place_outbound_call)" if whole else "leases (lease_number)"
    deps = pool_for(connection_string, 5000, agents=300 if whole else 0, tags=("h",))
    cpu = time.process_time()
    raw = raw_inserts_per_s(connection_string)
    raw_cpu_ms = (time.process_time() - cpu) * 1000 / (raw * SECONDS)
    start, cpu = time.perf_counter(), time.process_time()
    won = dialers(connection_string, deps.prefix, DIALERS, SECONDS, "h", whole)
    rate = len(won) / (time.perf_counter() - start)
    dial_cpu_ms = (time.process_time() - cpu) * 1000 / len(won)
    print(f"8 concurrent {what}, one host, 5,000-number pool: {rate:.0f}/s vs raw 8-thread conditional inserts "
          f"{raw:.0f}/s = {rate / raw:.2f}x (goal >= 0.3x); {check(deps, won)}")
    print(f"  this process's CPU: {dial_cpu_ms:.1f} ms per {what.split()[0][:-1]}, {raw_cpu_ms:.2f} ms per raw insert: "
          f"one interpreter (one GIL) caps the ratio near {raw_cpu_ms / dial_cpu_ms:.2f}x")


def two_hosts(connection_string: str, whole: bool) -> None:
    """Two processes (hosts) with 4 dialers each on one Azurite (storage account), started together."""
    what = "dials" if whole else "leases"
    deps = pool_for(connection_string, 5000, agents=300 if whole else 0, tags=("x0", "x1"))
    raw = raw_inserts_per_s(connection_string)
    args = json.dumps([connection_string, deps.prefix, DIALERS // 2, SECONDS, whole])
    start = time.perf_counter()
    hosts = [subprocess.Popen([sys.executable, "-m", "bench.lease_burst", "--host", args, str(h)],
                              stdout=subprocess.PIPE, text=True) for h in range(2)]
    won = [tuple(w) for h in hosts for w in json.loads(h.communicate()[0])]
    rate = len(won) / (time.perf_counter() - start - 0.5)  # each host imports the app first (about 0.5 s)
    print(f"8 concurrent {what}, two hosts (processes) on one storage: {rate:.0f}/s vs raw {raw:.0f}/s = "
          f"{rate / raw:.2f}x (goal >= 0.3x); {check(deps, won)}")  # type: ignore[arg-type]


def burst(connection_string: str) -> None:
    deps = pool_for(connection_string, BURST)
    latencies: list[float] = []

    def one(i: int) -> tuple[str, str | None]:
        call_id, begin = str(uuid.uuid4()), time.perf_counter()
        n = lease_number("1", call_id, None, f"burst-{i}", deps.clock.now(), False, deps.pool, deps.policy)
        latencies.append((time.perf_counter() - begin) * 1000)
        return call_id, n.number if n else None

    before, wall = deps.counter.count, time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as ex:
        won = list(ex.map(one, range(BURST)))
    wall_s = time.perf_counter() - wall
    distinct = len({n for _, n in won if n})
    print(f"{BURST}-call burst on a {BURST}-number pool (50 threads): {distinct} distinct (goal {BURST}); "
          f"{check(deps, won)}; wall {wall_s:.1f} s; per call {percentiles(latencies)}; "
          f"{(deps.counter.count - before) / BURST:.2f} storage requests per call")


def host_main(args: list[str]) -> None:
    connection_string, prefix, threads, seconds, whole = json.loads(args[0])
    print(json.dumps(dialers(connection_string, prefix, threads, seconds, f"x{args[1]}", whole)))


def main() -> None:
    with Azurite() as azurite:
        for whole in (False, True):
            one_host(azurite.connection_string, whole)
            two_hosts(azurite.connection_string, whole)
        burst(azurite.connection_string)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--host"]:
        host_main(sys.argv[2:])
    else:
        main()
