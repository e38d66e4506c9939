"""What the app wants of the routing engine per agent and emergency call, in Table Storage (table routingholds)."""

from __future__ import annotations

import dataclasses
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from shared.adapters.tables import Tables, dt, escape_key, get_entity, query, translate_errors, ts
from shared.domain.routing_hold import RoutingHold


class TableRoutingHoldStore:
    """One row per agent (partition) and call; `settled` is indexed by query so the timer reads only open ones."""

    TABLE = "routingholds"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def get(self, agent_id: str, call_id: str) -> RoutingHold | None:
        e = get_entity(self._tables.get(self.TABLE), escape_key(agent_id), escape_key(call_id))
        return _hold(e) if e else None

    def create(self, hold: RoutingHold) -> RoutingHold:
        with translate_errors():
            # No SDK retry: a retried insert that had landed would come back as a false conflict.
            meta = self._tables.get(self.TABLE).create_entity(_row(hold), retry_total=0)
        return dataclasses.replace(hold, version=meta.get("etag"))

    def replace(self, hold: RoutingHold) -> RoutingHold:
        if hold.version is None:
            raise ValueError("replace needs the version the hold was read with")
        with translate_errors():
            meta = self._tables.get(self.TABLE).update_entity(
                _row(hold), mode=UpdateMode.REPLACE, etag=hold.version,
                match_condition=MatchConditions.IfNotModified, retry_total=0)
        return dataclasses.replace(hold, version=meta.get("etag"))

    def unsettled(self) -> list[RoutingHold]:
        return [_hold(e) for e in query(self._tables.get(self.TABLE), "settled eq false")]


def _row(h: RoutingHold) -> dict[str, Any]:
    row = {"PartitionKey": escape_key(h.agent_id), "RowKey": escape_key(h.call_id), "agent_id": h.agent_id,
           "call_id": h.call_id, "worker_id": h.worker_id, "want": h.want, "done": h.done, "prior": h.prior,
           "since": ts(h.since), "settled": h.settled}
    return {k: v for k, v in row.items() if v is not None}


def _hold(e: dict[str, Any]) -> RoutingHold:
    return RoutingHold(agent_id=e["agent_id"], call_id=e["call_id"], worker_id=e["worker_id"], want=e["want"],
                       done=bool(e["done"]), prior=e.get("prior"), since=dt(e.get("since")), version=e.get("_etag"))
