"""Read-only incident queries in Table Storage for the evidence views (list, export, compliance summary).

The incident table is keyed by call id (one partition per call, a uuid), so no key range follows the dial's time:
a date range is a filter the service evaluates on `dialed_at` (ISO 8601 in UTC, so it sorts as text), with the
kind and agent beside it, in one query that returns only the matching rows. A time index in the keys would need one
more write on the dial's path; the design keeps that path as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared.adapters.table_notifications import TableDeliveryStore, _delivery
from shared.adapters.table_stores import TableCallStore, _call
from shared.adapters.tables import Tables, escape_key, query, ts
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.ports import Concurrency

# A stored time written with another offset than UTC would sort apart from a UTC bound by up to 14 hours: the
# store's filter is widened by a day and the exact bound applied to the parsed times.
_MARGIN = timedelta(days=1)
# Up to this many calls, one partition query each (overlapped); beyond, one read of the deliveries table filtered
# by time: every record is first sent (`first_attempt_at`, set once) or, a warning, written (`updated_at`) after
# its call's dial and before the call's last escalation step, well within LATEST_SEND of the dial.
PER_CALL_LIMIT = 100
LATEST_SEND = timedelta(days=2)


class TableIncidentQueries:
    """IncidentQueries on the incident and delivery tables."""

    def __init__(self, tables: Tables, concurrency: Concurrency, per_call_limit: int = PER_CALL_LIMIT) -> None:
        self._tables = tables
        self._concurrency = concurrency
        self._per_call_limit = per_call_limit

    def dialed_between(self, start: datetime | None, end: datetime | None, test: bool | None = None,
                       agent_id: str | None = None) -> list[EmergencyCall]:
        clauses: list[str] = ["RowKey eq 'call'"]
        params: dict[str, Any] = {}
        if start is not None:
            clauses.append("dialed_at ge @lo")
            params["lo"] = ts(start - _MARGIN)
        if end is not None:
            clauses.append("dialed_at lt @hi")
            params["hi"] = ts(end + _MARGIN)
        if test is not None:
            clauses.append("test eq @test")
            params["test"] = test
        if agent_id is not None:
            clauses.append("agent_id eq @agent")
            params["agent"] = agent_id
        rows = query(self._tables.get(TableCallStore.TABLE), " and ".join(clauses), **params)
        calls = (_call(e) for e in rows)
        return [c for c in calls if (start is None or c.dialed_at >= start) and (end is None or c.dialed_at < end)]

    def deliveries_of(self, call_ids: Sequence[str], since: datetime | None,
                      until: datetime | None = None) -> dict[str, list[Delivery]]:
        wanted = list(dict.fromkeys(call_ids))
        found: dict[str, list[Delivery]] = {call_id: [] for call_id in wanted}
        if not wanted:
            return found
        table = self._tables.get(TableDeliveryStore.TABLE)
        if len(wanted) <= self._per_call_limit or since is None:
            reads = [partial(query, table, "PartitionKey eq @pk", pk=escape_key(c)) for c in wanted]
            rows = [row for batch in self._concurrency.all(*reads) for row in batch]
        elif until is None:
            rows = query(table, "first_attempt_at ge @lo or updated_at ge @lo", lo=ts(since - _MARGIN))
        else:
            # (the SDK takes a parameter's name up to the next space: none may touch a parenthesis)
            rows = query(table, "(first_attempt_at ge @lo and first_attempt_at lt @hi ) or "
                                "(updated_at ge @lo and updated_at lt @hi )",
                         lo=ts(since - _MARGIN), hi=ts(until + LATEST_SEND + _MARGIN))
        for row in rows:
            delivery = _delivery(row)
            if delivery.call_id in found:
                found[delivery.call_id].append(delivery)
        return found
