"""The 400 ms budget under load (issue 18), black box through the local host: the panel waits at most 400 ms for the
dial's answer. Prints, side by side in one run:

- sequential emergency dials (the quiet figure);
- 8 concurrent emergency dialers, alone and while 4 threads send normal dials (the share within 400 ms, p50/p99,
  and the normal dials' latency alone and during);
- the whole floor: 50 agents dialing 911 within 5 seconds across two hosts (within 400 ms, duplicates, lost);
- the host's CPU per emergency dial (its /proc CPU time over the dials it answered).

Each emergency dialer is an agent of her own who ends every call at once, so her next dial keeps the number of the
one before (the pool does not run out however long the run). `BUDGET_SECONDS` sets each load phase's length.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.seed import seed
from local.stack import Client, LocalStack

BUDGET_MS = 400.0
SECONDS = float(os.environ.get("BUDGET_SECONDS") or 8)
DIALERS, NORMAL_THREADS, FLOOR = 8, 4, 50
TYPING_SECONDS = 0.2  # between the hold (the number typed) and the dial (Call pressed)
TYPED = 600  # agents who dial once each, after a pre-dial hold
AREAS = ("202", "212", "312", "415", "617", "713", "808")


def agents(count: int) -> dict[str, dict[str, Any]]:
    return {f"budget-{i:02d}": {
        "displayName": f"Agent {i}", "acsUserId": f"8:acs:00000000-0000-0000-0000-000000000000_budget-{i:02d}",
        "timezone": "UTC", "emailRecipients": f"desk-{i}@example.com", "mailboxEnabled": True,
        "outboundNumber": "+12025550180", "lastLocation": {"countryCode": "US", "address": "1 Example Plaza"}}
        for i in range(count)}


def timed(call: Callable[[], tuple[int, Any]]) -> tuple[float, int, Any]:
    started = time.perf_counter()
    status, body = call()
    return (time.perf_counter() - started) * 1000, status, body


def emergency_dial(client: Client, agent: str, number: str = "933",
                   held: str | None = None) -> tuple[float, dict[str, Any]]:
    """The dial (timed); `held`: the call id of its pre-dial hold, which the dial then claims."""
    body = {"agentId": agent, "dialedNumber": number, "countryCode": "US"}
    if held:
        body |= {"emergencyCallId": held, "preDialed": True}
    ms, status, answer = timed(lambda: client.post("/api/outbound-calls", body))
    assert status == 200 and answer.get("dial") is True, (status, answer)
    assert not held or answer.get("emergencyCallId") == held, answer
    return ms, answer


def typed_first(client: Client, agent: str, number: str = "933") -> str:
    """What the panel does while she types: the pre-dial hold (not timed), then her second to press Call."""
    call_id = str(uuid.uuid4())
    status, answer = client.post(f"/api/outbound-calls/{call_id}/pre-dial",
                                 {"agentId": agent, "dialedNumber": number, "countryCode": "US"})
    assert status == 200 and answer.get("preDial") is True, (status, answer)
    time.sleep(TYPING_SECONDS)
    return call_id


def end(client: Client, agent: str, call_id: str) -> None:
    client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": agent})


def normal_dial(client: Client, agent: str) -> float:
    ms, status, body = timed(lambda: client.post("/api/outbound-calls", {"agentId": agent,
                                                                          "dialedNumber": "+12025550123",
                                                                          "countryCode": "US"}))
    assert status == 200 and body.get("emergency") is False, (status, body)
    return ms


def host_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its finished children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def summary(ms: list[float]) -> str:
    if not ms:
        return "none"
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    within = 100.0 * sum(1 for m in ms if m <= BUDGET_MS) / len(ms)
    return (f"n={len(ms)} p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms, "
            f"{within:.1f} % within {BUDGET_MS:.0f} ms")


def dialers(client: Client, names: list[str], stop: threading.Event, typed: list[str] | None = None) -> list[float]:
    """Each agent dials 933 and ends it, again and again, until `stop`. `typed`: agents who have not dialed yet, one
    for each dial, which comes after its pre-dial hold as the panel places it (only the dial is timed; an agent's
    redial keeps her earlier number, which no hold is needed for)."""
    times: list[float] = []
    lock = threading.Lock()
    fresh = iter(typed or [])

    def one(agent: str) -> None:
        while not stop.is_set():
            if typed is not None:
                with lock:
                    agent = next(fresh)
            ms, body = emergency_dial(client, agent, held=typed_first(client, agent) if typed is not None else None)
            end(client, agent, body["emergencyCallId"])
            with lock:
                times.append(ms)
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(one, names))
    return times


def normal_background(client: Client, names: list[str], stop: threading.Event) -> list[float]:
    times: list[float] = []

    def one(agent: str) -> None:
        while not stop.is_set():
            times.append(normal_dial(client, agent))
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(one, names))
    return times


def phase(client: Client, emergency: list[str], normal: list[str],
          typed: list[str] | None = None) -> tuple[list[float], list[float]]:
    stop = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        e = pool.submit(dialers, client, emergency, stop, typed) if emergency else None
        n = pool.submit(normal_background, client, normal, stop) if normal else None
        time.sleep(SECONDS)
        stop.set()
        return (e.result() if e else []), (n.result() if n else [])


def whole_floor(stack: LocalStack, names: list[str], warm: str) -> None:
    """50 agents dial 911 within 5 seconds, spread over two running hosts (the second one warmed by a drill)."""
    second = stack.start_extra_host()
    _, body = emergency_dial(second, warm)
    end(second, warm, body["emergencyCallId"])
    clients = [stack.client, second]
    start = time.perf_counter() + 0.2
    spacing = 5.0 / len(names)

    def one(i: int) -> tuple[float, dict[str, Any]]:
        time.sleep(max(0.0, start + i * spacing - time.perf_counter()))
        return emergency_dial(clients[i % 2], names[i], "911")
    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(one, range(len(names))))
    numbers = [body["callbackNumber"] for _, body in results if body.get("callbackNumberSource") == "pool"]
    print(f"whole floor, {len(names)} agents dialing 911 within 5 s on two hosts: {summary([m for m, _ in results])}; "
          f"{len(numbers)} pool numbers, {len(numbers) - len(set(numbers))} duplicates, "
          f"{sum(1 for _, b in results if b.get('callbackNumberSource') != 'pool')} without a pool number")
    for (_, body), i in zip(results, range(len(names)), strict=True):
        end(clients[i % 2], names[i], body["emergencyCallId"])


def map_the_host_network(client: Client) -> None:
    """A site whose network is the local host's peer, so each dial finds its building from the network (issue 19's
    location work on the dial's path); a host without sites (before issue 19) answers 404 and dials without."""
    site = {"name": "Bench Plaza", "address": {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example Plaza",
                                               "HNO": "1", "PC": "62701"},
            "deskEmails": ["bench-desk@example.com"], "networks": ["127.0.0.1/32"]}
    status, _ = client.put("/api/manage/sites/bench-plaza", site)
    print("sites: the host's network is Bench Plaza's" if status == 200 else f"sites: none (answer {status})")


def main() -> None:
    names = list(agents(FLOOR + DIALERS + NORMAL_THREADS + TYPED))
    # Fictional numbers only (555-0100 to 555-0199), in a few area codes: the typed phases take a number per dial.
    pool = [f"+1{area}55501{n:02d}" for area in AREAS for n in range(100)]
    with LocalStack(extra_env={"ROUTING_ENGINE": "none"}) as stack:
        seed(stack.client, agents(len(names)), pool)
        c = stack.client
        map_the_host_network(c)
        emergency, normal = names[:DIALERS], names[DIALERS:DIALERS + NORMAL_THREADS]
        floor, fresh = names[-FLOOR:], names[DIALERS + NORMAL_THREADS:-FLOOR]
        for agent in emergency + normal:  # warm: clients, tables, the voice setup cache
            _, body = emergency_dial(c, agent)
            end(c, agent, body["emergencyCallId"])
            normal_dial(c, agent)
        sequential = []
        for _ in range(40):
            ms, body = emergency_dial(c, emergency[0])
            end(c, emergency[0], body["emergencyCallId"])
            sequential.append(ms)
        print(f"sequential emergency dials: {summary(sequential)}; location {body.get('location', {}).get('source')}")
        _, alone = phase(c, [], normal)
        print(f"normal dials alone ({NORMAL_THREADS} threads): {summary(alone)}")
        pid = stack._host.pid if stack._host else 0  # noqa: SLF001 (the host process's own CPU)
        cpu = host_cpu_seconds(pid)
        burst, _ = phase(c, emergency, [])
        cpu_per_dial = (host_cpu_seconds(pid) - cpu) * 1000 / max(1, len(burst))
        print(f"{DIALERS} concurrent emergency dialers: {summary(burst)}, {len(burst) / SECONDS:.1f} dials/s; "
              f"host CPU {cpu_per_dial:.1f} ms per dial (its end included)")
        loaded, during = phase(c, emergency, normal)
        print(f"{DIALERS} emergency dialers while {NORMAL_THREADS} threads send normal dials: {summary(loaded)}; "
              f"normal dials during: {summary(during)}")
        typed, _ = phase(c, emergency, [], typed=fresh[:TYPED // 2])
        print(f"{DIALERS} dialers, each dial by an agent of her own after its pre-dial hold (the panel's way): "
              f"{summary(typed)}")
        typed, during = phase(c, emergency, normal, typed=fresh[TYPED // 2:])
        print(f"... while {NORMAL_THREADS} threads send normal dials: {summary(typed)}; normal dials during: "
              f"{summary(during)}")
        whole_floor(stack, floor, normal[0])


if __name__ == "__main__":
    main()
