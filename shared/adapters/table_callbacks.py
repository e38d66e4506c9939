"""Callback windows and the IncomingCall de-duplication log in Table Storage."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from functools import partial
from typing import Any

from shared.adapters.tables import (
    Tables,
    delete,
    dt,
    escape_key,
    get_entity,
    insert,
    query,
    replace_if,
    ts,
    upsert,
)
from shared.domain.routing import CallbackWindow
from shared.ports import ClaimState, Concurrency, Conflict


class TableCallbackWindowStore:
    """One row per call under its ACS identity (the callback path's one-partition read) and under its agent (the
    panel's): a call writes only its own rows, so a later call never shortens an earlier call's window."""

    TABLE = "callbackwindows"

    def __init__(self, tables: Tables, concurrency: Concurrency) -> None:
        self._tables = tables
        self._concurrency = concurrency

    def open(self, window: CallbackWindow) -> None:
        """Both rows at once (two partitions: no transaction can hold them); each upsert is idempotent."""
        row = {"RowKey": escape_key(window.call_id), "acs_user_id": window.acs_user_id,
               "agent_id": window.agent_id, "call_id": window.call_id, "until": ts(window.until),
               "test": window.test}
        table = self._tables.get(self.TABLE)
        self._concurrency.all(partial(upsert, table, row | {"PartitionKey": _identity_key(window.acs_user_id)}),
                              partial(upsert, table, row | {"PartitionKey": _agent_key(window.agent_id)}))

    def of_call(self, acs_user_id: str, call_id: str) -> CallbackWindow | None:
        """The call's row; for a call of the release before, its identity's one row (row key "") if it is this
        call's: settling it writes the call's own row, which supersedes that one."""
        table = self._tables.get(self.TABLE)
        entity = get_entity(table, _identity_key(acs_user_id), escape_key(call_id))
        if entity is None:
            entity = get_entity(table, _identity_key(acs_user_id), LEGACY)
            if entity is not None and entity.get("call_id") != call_id:
                entity = None
        return _window(entity) if entity is not None else None

    def by_identity(self, acs_user_id: str) -> list[CallbackWindow]:
        return self._partition(_identity_key(acs_user_id))

    def by_agent(self, agent_id: str) -> list[CallbackWindow]:
        return self._partition(_agent_key(agent_id))

    def _partition(self, key: str) -> list[CallbackWindow]:
        """One query (rows go with their incidents, so a partition stays within one page). The one row of the
        release before (row key "") counts until its call has a row of its own."""
        rows = query(self._tables.get(self.TABLE), "PartitionKey eq @pk", pk=key)
        own = {e.get("call_id") for e in rows if e["RowKey"] != LEGACY}
        return [_window(e) for e in rows if e["RowKey"] != LEGACY or e.get("call_id") not in own]

    def forget(self, acs_user_id: str, agent_id: str, call_id: str) -> None:
        table = self._tables.get(self.TABLE)
        for pk in (_identity_key(acs_user_id), _agent_key(agent_id)):
            delete(table, pk, escape_key(call_id))  # the SDK answers a missing row as deleted
            legacy = get_entity(table, pk, LEGACY)
            if legacy is not None and legacy.get("call_id") == call_id:
                with contextlib.suppress(Conflict):  # rewritten meanwhile: not this call's any more
                    delete(table, pk, LEGACY, legacy["_etag"])


# The row key of the one row per identity and per agent that the release before kept (the latest call's window).
LEGACY = ""


def _identity_key(acs_user_id: str) -> str:
    return "acs:" + escape_key(acs_user_id)


def _agent_key(agent_id: str) -> str:
    return "agent:" + escape_key(agent_id)


def _window(e: dict[str, Any]) -> CallbackWindow:
    until = dt(e["until"])
    assert until is not None
    return CallbackWindow(e["acs_user_id"], e["agent_id"], e["call_id"], until, bool(e.get("test", False)))


class TableIncomingCallLog:
    """One row per ringing call: in progress (with the time it expires) or done. See ports.IncomingCallLog."""

    TABLE = "incomingcalls"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def claim(self, key: str, event_id: str, now: datetime, until: datetime) -> ClaimState:
        table = self._tables.get(self.TABLE)
        pk = _key(key)
        row = {"PartitionKey": pk, "RowKey": "", "event_id": event_id, "state": "in_progress", "until": ts(until)}
        for _ in range(3):
            try:
                insert(table, row)
                return ClaimState.WON
            except Conflict:
                pass
            current = get_entity(table, pk, "")
            if current is None:
                continue  # released meanwhile: insert again
            if current.get("state") == "done":
                return ClaimState.DONE
            held_until = dt(current.get("until"))
            if held_until is not None and held_until > now:
                return ClaimState.BUSY
            try:
                replace_if(table, row, current["_etag"])  # its holder died: take the claim over
                return ClaimState.WON
            except Conflict:
                continue
        return ClaimState.BUSY

    def complete(self, key: str) -> None:
        upsert(self._tables.get(self.TABLE), {"PartitionKey": _key(key), "RowKey": "", "state": "done"})

    def unclaim(self, key: str, event_id: str) -> None:
        table = self._tables.get(self.TABLE)
        current = get_entity(table, _key(key), "")
        if current is None or current.get("state") != "in_progress" or current.get("event_id") != event_id:
            return
        with contextlib.suppress(Conflict):  # taken over or completed meanwhile: not ours to give back
            delete(table, _key(key), "", current["_etag"])


def _key(key: str) -> str:
    # incomingCallContext values are long opaque tokens: a digest keeps the key short and legal.
    return hashlib.sha256(key.encode()).hexdigest()
