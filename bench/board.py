"""Benchmark: the live emergency board's update latency on the local stack (issue 21), with 50 emergency calls going on.

50 agents are on emergency calls; 3 "screens" poll the board with its ETag every second, as the page does. Then, one
after another, another agent dials 911 and a watcher polls the board (with its ETag, every 20 ms) until the call is on
it: dial -> shown, p50/p99. The page polls every second, so a screen sees it up to a second later than the watcher
(printed too). Beside it, measured in the same run: the dial's own answer, a board GET that changed (200) and one
that did not (304), and a raw point read of Azurite, each with its ratio. No figure is asserted.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from bench.budget import AREAS, agents
from bench.common import median, percentiles, ratio
from local.seed import seed
from local.stack import LocalStack, as_principal

LIVE = 50
SAMPLES = 40
SCREENS = 3
DESK = {"userId": "00000000-0000-0000-0000-00000000de51", "userDetails": "Bench Desk",
        "roles": ["EmergencyCalling.SecurityDesk"]}


def get_board(base: str, tag: str | None) -> tuple[int, bytes, str | None, float]:
    """(status, body, ETag, ms) of one board GET as the desk."""
    headers = as_principal(DESK) | ({"If-None-Match": tag} if tag else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(base + "/api/manage/board", headers=headers),
                                    timeout=30) as response:
            body, status, etag = response.read(), response.status, response.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        body, status, etag = exc.read(), exc.code, exc.headers.get("ETag")
    return status, body, etag, (time.perf_counter() - started) * 1000


def dial(stack: LocalStack, agent: str) -> tuple[str, float]:
    started = time.perf_counter()
    status, body = stack.client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": "911",
                                                             "countryCode": "US"})
    assert status == 200, body
    return str(body["emergencyCallId"]), (time.perf_counter() - started) * 1000


def screen(base: str, stop: threading.Event, counts: dict[int, int]) -> None:
    """A wall screen: polls every second with the tag it last saw."""
    tag = None
    while not stop.is_set():
        status, _, etag, _ = get_board(base, tag)
        counts[status] = counts.get(status, 0) + 1
        tag = etag or tag
        stop.wait(1.0)


def main() -> None:
    names = list(agents(LIVE + SAMPLES + 1))
    pool = [f"+1{area}55501{n:02d}" for area in AREAS[:2] for n in range(100)]
    with LocalStack(extra_env={"ROUTING_ENGINE": "none"}) as stack:
        seed(stack.client, agents(len(names)), pool)
        base = stack.client.base_url
        live, measured, warm = names[:LIVE], names[LIVE:LIVE + SAMPLES], names[-1]
        dial(stack, warm)  # clients, tables, the voice setup cache
        for agent in live:
            dial(stack, agent)
        time.sleep(2)
        status, body, tag, _ = get_board(base, None)
        print(f"board with {len(json.loads(body)['calls'])} calls on it ({LIVE} live); {SCREENS} screens polling 1/s")
        stop, counts = threading.Event(), {}
        screens = [threading.Thread(target=screen, args=(base, stop, counts), daemon=True) for _ in range(SCREENS)]
        for s in screens:
            s.start()
        shown, dials, full, unchanged = [], [], [], []
        try:
            for agent in measured:
                call_id, dial_ms = dial(stack, agent)
                started = time.perf_counter() - dial_ms / 1000
                dials.append(dial_ms)
                while True:
                    status, body, etag, ms = get_board(base, tag)
                    (unchanged if status == 304 else full).append(ms)
                    tag = etag or tag
                    if status == 200 and call_id in body.decode():
                        shown.append((time.perf_counter() - started) * 1000)
                        break
                    time.sleep(0.02)
                time.sleep(0.3)
        finally:
            stop.set()
        raw = raw_reads(stack)
        report(shown, dials, full, unchanged, raw, counts)


def raw_reads(stack: LocalStack, count: int = 200) -> list[float]:
    """Point reads of one entity in the stack's own Azurite: the floor under every board read."""
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(stack.azurite.connection_string)
    table = service.create_table_if_not_exists("benchrawreads")
    table.upsert_entity({"PartitionKey": "raw", "RowKey": "one", "x": 1})
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        table.get_entity("raw", "one")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(shown: list[float], dials: list[float], full: list[float], unchanged: list[float], raw: list[float],
           counts: dict[int, Any]) -> None:
    print(f"dial -> on the board (watcher, 20 ms polls with ETag): {percentiles(shown)}")
    print(f"  as a screen polling every second sees it: up to {median(shown) + 1000:.0f} ms at the median")
    print(f"dial's own answer: {percentiles(dials)}")
    print(f"board GET, changed (200, {LIVE}+ calls): {percentiles(full)}")
    if len(unchanged) > 1:
        print(f"board GET, unchanged (304, no body): {percentiles(unchanged)}")
    print(f"raw Azurite point read: {percentiles(raw)}")
    print(f"ratios (median): shown/dial {ratio(median(shown), median(dials))}, "
          f"200/raw read {ratio(median(full), median(raw))}"
          + (f", 304/raw read {ratio(median(unchanged), median(raw))}" if len(unchanged) > 1 else ""))
    print(f"screens' answers: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
