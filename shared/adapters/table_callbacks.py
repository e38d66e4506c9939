"""Callback windows and the IncomingCall de-duplication log in Table Storage."""

from __future__ import annotations

from typing import Any

from shared.adapters.tables import Tables, delete, dt, escape_key, get_entity, insert, ts, upsert
from shared.domain.routing import CallbackWindow
from shared.ports import Conflict


class TableCallbackWindowStore:
    """One row per ACS identity (the callback path's point read) and one per agent (the panel's)."""

    TABLE = "callbackwindows"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def open(self, window: CallbackWindow) -> None:
        row = {"RowKey": "", "acs_user_id": window.acs_user_id, "agent_id": window.agent_id,
               "call_id": window.call_id, "until": ts(window.until), "test": window.test}
        table = self._tables.get(self.TABLE)
        upsert(table, row | {"PartitionKey": "acs:" + escape_key(window.acs_user_id)})
        upsert(table, row | {"PartitionKey": "agent:" + escape_key(window.agent_id)})

    def by_identity(self, acs_user_id: str) -> CallbackWindow | None:
        return _window(get_entity(self._tables.get(self.TABLE), "acs:" + escape_key(acs_user_id), ""))

    def by_agent(self, agent_id: str) -> CallbackWindow | None:
        return _window(get_entity(self._tables.get(self.TABLE), "agent:" + escape_key(agent_id), ""))


def _window(e: dict[str, Any] | None) -> CallbackWindow | None:
    if e is None:
        return None
    until = dt(e["until"])
    assert until is not None
    return CallbackWindow(e["acs_user_id"], e["agent_id"], e["call_id"], until, bool(e.get("test", False)))


class TableIncomingCallLog:
    TABLE = "incomingcalls"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def claim(self, key: str, event_id: str) -> bool:
        try:
            insert(self._tables.get(self.TABLE), {"PartitionKey": _key(key), "RowKey": "", "event_id": event_id})
        except Conflict:
            return False
        return True

    def unclaim(self, key: str) -> None:
        delete(self._tables.get(self.TABLE), _key(key), "")


def _key(key: str) -> str:
    import hashlib

    # incomingCallContext values are long opaque tokens: a digest keeps the key short and legal.
    return hashlib.sha256(key.encode()).hexdigest()
