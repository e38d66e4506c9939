"""Benchmark: the incident export (issue 21, part 3) on Azurite. 10,000 incidents over 30 days, each with two
delivery records (one acknowledged in three); the CSV and JSON exports of all of them, and of one day, against the
raw reads of the same rows measured in the same run (a scan of each table, no decoding). Storage requests counted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.data.tables import TableClient

from bench.common import AzuriteDeps
from local.azurite import Azurite
from shared.adapters.table_incidents import TableIncidentQueries
from shared.adapters.table_notifications import TableDeliveryStore, _row
from shared.adapters.table_stores import TableCallStore, _call_row
from shared.adapters.tables import transact
from shared.auth import ADMIN, Principal
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.services.incident_evidence import export
from shared.services.incident_filters import parse_filters
from tests.fakes_admin import FakeAudit

INCIDENTS = 10_000
DAYS = 30
START = datetime(2026, 10, 1, tzinfo=UTC)
WHO = Principal("bench", "bench@example.com", frozenset({ADMIN}))


class AuditDeps:
    def __init__(self, deps: AzuriteDeps) -> None:
        self.clock, self.audit = deps.clock, FakeAudit()  # the audit write is one request, outside the figure


def populate(deps: AzuriteDeps) -> None:
    """The incidents and their deliveries (one transaction per call: its partition), 16 threads."""
    calls, deliveries = deps.tables.get(TableCallStore.TABLE), deps.tables.get(TableDeliveryStore.TABLE)
    step = timedelta(days=DAYS) / INCIDENTS

    def write(n: int) -> None:
        at = START + step * n
        call = EmergencyCall(f"bench-{uuid.uuid4().hex}", f"agent-{n % 200}", "933" if n % 10 == 0 else "911",
                             "US", n % 10 == 0, at, agent_name=f"Agent {n % 200}",
                             location={"siteId": f"site-{n % 20}", "siteName": f"Site {n % 20}"},
                             callback_number="+12025550100", callback_until=at + timedelta(hours=1),
                             ended_at=at + timedelta(minutes=4), end_source="acs")
        calls.create_entity(_call_row(call))
        rows = [Delivery(call.call_id, "email", f"desk{n % 7}@example.com", "accepted", operation_id=uuid.uuid4().hex,
                         attempts=1, first_attempt_at=at + timedelta(seconds=1), updated_at=at + timedelta(seconds=2),
                         acknowledged_at=at + timedelta(seconds=40) if n % 3 == 0 else None,
                         acknowledged_via="email" if n % 3 == 0 else None),
                Delivery(call.call_id, "sms", "+12025550123", "accepted", operation_id=uuid.uuid4().hex, attempts=1,
                         first_attempt_at=at + timedelta(seconds=1), updated_at=at + timedelta(seconds=2))]
        transact(deliveries, [("create", _row(d)) for d in rows])

    with ThreadPoolExecutor(16) as ex:
        list(ex.map(write, range(INCIDENTS)))


def timed(deps: AzuriteDeps, action: Callable[[], Any], runs: int = 3) -> tuple[float, int, Any]:
    """The best of `runs` (seconds), the storage requests of one run, and the last answer."""
    best, requests, answer = float("inf"), 0, None
    for _ in range(runs):
        before = deps.counter.count
        started = time.perf_counter()
        answer = action()
        best = min(best, time.perf_counter() - started)
        requests = deps.counter.count - before
    return best, requests, answer


def raw_scan(table: TableClient, filter_: str | None = None) -> int:
    return sum(1 for _ in (table.query_entities(filter_) if filter_ else table.list_entities()))


def main() -> None:
    with Azurite() as azurite:
        deps = AzuriteDeps(azurite.connection_string)
        started = time.perf_counter()
        populate(deps)
        print(f"populated {INCIDENTS:,} incidents with {2 * INCIDENTS:,} delivery records over {DAYS} days "
              f"in {time.perf_counter() - started:.1f} s")
        calls, deliveries = deps.tables.get(TableCallStore.TABLE), deps.tables.get(TableDeliveryStore.TABLE)
        raw_s, raw_req, raw_rows = timed(deps, lambda: raw_scan(calls) + raw_scan(deliveries))
        print(f"raw: scan of both tables ({raw_rows:,} entities, not decoded): {raw_s * 1000:.0f} ms, "
              f"{raw_req} requests")
        queries, audit = TableIncidentQueries(deps.tables, deps.concurrency), AuditDeps(deps)
        everything = parse_filters({"from": "2026-10-01", "to": "2026-10-31"})
        for fmt in ("csv", "json"):
            s, req, (_, body) = timed(deps, lambda fmt=fmt: export(everything, fmt, queries, audit, WHO))
            print(f"export {fmt} of {INCIDENTS:,} incidents: {s * 1000:.0f} ms ({s / raw_s:.1f}x the raw scan), "
                  f"{req} requests, {len(body) / 1e6:.1f} MB")
        outcome = parse_filters({"from": "2026-10-01", "to": "2026-10-31", "outcome": "acknowledged"})
        s, req, (_, body) = timed(deps, lambda: export(outcome, "csv", queries, audit, WHO))
        print(f"export csv, acknowledged only ({body.count(chr(10)) - 1:,} rows): {s * 1000:.0f} ms "
              f"({s / raw_s:.1f}x the raw scan), {req} requests")
        one_day = parse_filters({"from": "2026-10-15", "to": "2026-10-15"})
        raw_day_s, _, _ = timed(deps, lambda: raw_scan(calls, "dialed_at ge '2026-10-15' and dialed_at lt "
                                                             "'2026-10-16'"))
        s, req, (_, body) = timed(deps, lambda: export(one_day, "csv", queries, audit, WHO))
        print(f"export csv of one day ({body.count(chr(10)) - 1:,} rows, store-filtered): {s * 1000:.0f} ms "
              f"({s / raw_s:.2f}x the raw scan of everything; the raw filtered scan of the incidents alone "
              f"{raw_day_s * 1000:.0f} ms), {req} requests")
        per_call = TableIncidentQueries(deps.tables, deps.concurrency, per_call_limit=10**9)
        s, req, _ = timed(deps, lambda: export(everything, "csv", per_call, audit, WHO), runs=1)
        print(f"the same 10,000 with one partition query per call (32 threads) instead of one range read: "
              f"{s * 1000:.0f} ms ({s / raw_s:.1f}x the raw scan), {req} requests")


if __name__ == "__main__":
    main()
