"""Helpers for the benchmarks: a storage request counter, percentiles, and an Azurite-backed set of ports."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from shared.adapters.table_admin import TableVoiceConfigStore
from shared.adapters.table_callbacks import TableCallbackWindowStore, TableIncomingCallLog
from shared.adapters.table_pool import TABLE, TablePoolStore, slot_key, to_entity
from shared.adapters.table_stores import TableAgentStore, TableCallStore, TableHistoryStore, TablePresenceStore
from shared.adapters.tables import Tables, transact
from shared.adapters.threads import Threads
from shared.adapters.voice_cache import CachedVoiceConfig
from shared.clock import SystemClock
from shared.domain.lease import LeasePolicy, PoolNumber


class RequestCounter:
    """Counts HTTP requests that leave the Table Storage client, retries included (azure-core raw_request_hook)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> None:
        with self._lock:
            self.count += 1


class NoEvents:
    """The bus is outside what these benchmarks measure."""

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        return None


class AzuriteDeps:
    """Real table adapters on one Azurite, a fresh table prefix, and a request counter."""

    def __init__(self, connection_string: str, prefix: str | None = None) -> None:
        self.counter = RequestCounter()
        self.prefix = prefix or "b" + uuid.uuid4().hex[:10]
        self.tables = Tables(connection_string=connection_string, prefix=self.prefix, raw_request_hook=self.counter)
        self.clock = SystemClock()
        self.agents = TableAgentStore(self.tables)
        self.pool = TablePoolStore(self.tables)
        self.presence = TablePresenceStore(self.tables)
        self.calls = TableCallStore(self.tables)
        self.history = TableHistoryStore(self.tables)
        self.concurrency = Threads()
        self.windows = TableCallbackWindowStore(self.tables, self.concurrency)
        self.incoming = TableIncomingCallLog(self.tables)
        self.events = NoEvents()
        self.voice_setup = CachedVoiceConfig(TableVoiceConfigStore(self.tables))  # as the app reads it: cached
        self.policy = LeasePolicy(window=timedelta(minutes=60), quarantine=timedelta(minutes=10))


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"


def fictional_numbers(count: int) -> list[str]:
    """555-01xx numbers across as many area codes as needed (only 100 fictional numbers exist per area code)."""
    return [f"+1{201 + i // 100}5550{100 + i % 100}" for i in range(count)]


def fill_pool(deps: AzuriteDeps, count: int, region: str = "1") -> list[str]:
    """`count` free numbers with their index rows, 50 numbers per transaction (a 5,000-number pool in seconds)."""
    wanted = fictional_numbers(count)
    table = deps.tables.get(TABLE)
    for start in range(0, count, 50):
        ops: list[Any] = []
        for n in wanted[start:start + 50]:
            number = PoolNumber(n, region)
            ops += [("create", to_entity(number)),
                    ("create", {"PartitionKey": region, "RowKey": slot_key(number), "number": n})]
        transact(table, ops)
    return wanted


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ratio(figure: float, raw: float) -> str:
    return f"{figure / raw:.2f}x" if raw > 0 else "n/a"


def raw_conditional_inserts(deps: AzuriteDeps, count: int) -> list[float]:
    """The raw operation a lease is compared with: a conditional insert (create_entity, no retry), in ms."""
    table = deps.tables.get("rawinserts")
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        table.create_entity({"PartitionKey": "raw", "RowKey": uuid.uuid4().hex}, retry_total=0)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def raw_point_reads(deps: AzuriteDeps, count: int) -> list[float]:
    """The raw operation a callback decision is compared with: a point read of an existing entity, in ms."""
    table = deps.tables.get("rawreads")
    table.upsert_entity({"PartitionKey": "raw", "RowKey": "one", "x": 1})
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        table.get_entity("raw", "one")
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def raw_transaction(deps: AzuriteDeps, operations: int = 5) -> float:
    """The lease's own floor: one entity-group transaction of `operations` upserts in one partition, in ms."""
    table = deps.tables.get("rawinserts")
    key = uuid.uuid4().hex
    ops = [("upsert", {"PartitionKey": "txn", "RowKey": f"{key}-{i}", "x": "x" * 40}) for i in range(operations)]
    start = time.perf_counter()
    table.submit_transaction(ops, retry_total=0)
    return (time.perf_counter() - start) * 1000
