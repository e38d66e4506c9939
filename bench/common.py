"""Helpers for the benchmarks: a storage request counter, percentiles, and an Azurite-backed set of ports."""

from __future__ import annotations

import statistics
import threading
import uuid
from datetime import timedelta
from typing import Any

from shared.adapters.table_callbacks import TableCallbackWindowStore, TableIncomingCallLog
from shared.adapters.table_pool import TablePoolStore
from shared.adapters.table_stores import TableAgentStore, TableCallStore, TableHistoryStore, TablePresenceStore
from shared.adapters.tables import Tables
from shared.clock import SystemClock
from shared.domain.lease import LeasePolicy


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

    def __init__(self, connection_string: str) -> None:
        self.counter = RequestCounter()
        self.tables = Tables(connection_string=connection_string, prefix="b" + uuid.uuid4().hex[:10],
                             raw_request_hook=self.counter)
        self.clock = SystemClock()
        self.agents = TableAgentStore(self.tables)
        self.pool = TablePoolStore(self.tables)
        self.presence = TablePresenceStore(self.tables)
        self.calls = TableCallStore(self.tables)
        self.history = TableHistoryStore(self.tables)
        self.windows = TableCallbackWindowStore(self.tables)
        self.incoming = TableIncomingCallLog(self.tables)
        self.events = NoEvents()
        self.policy = LeasePolicy(window=timedelta(minutes=60), quarantine=timedelta(minutes=10))


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"


def fictional_numbers(count: int) -> list[str]:
    """555-01xx numbers across several area codes (only 100 fictional numbers exist per area code)."""
    area_codes = ["202", "312", "415", "512", "617", "713", "808", "907"]
    return [f"+1{area_codes[i // 100]}5550{100 + i % 100}" for i in range(count)]
