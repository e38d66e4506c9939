"""Agents, presence, emergency call records and call history in Table Storage."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from shared.adapters import table_board
from shared.adapters.tables import (
    Tables,
    delete,
    dt,
    dumps,
    escape_key,
    get_entity,
    insert,
    loads,
    merge_existing,
    query,
    replace_if,
    ts,
    upsert,
)
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.presence import Presence
from shared.ports import BoardRow, Conflict


class TableAgentStore:
    """Agents by id, plus an index row per ACS identity (the callback path finds agents by identity)."""

    TABLE = "agents"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def get(self, agent_id: str) -> Agent | None:
        e = get_entity(self._tables.get(self.TABLE), "agent", escape_key(agent_id))
        return _agent(e) if e else None

    def put(self, agent: Agent) -> Agent | None:
        table = self._tables.get(self.TABLE)
        old = self.get(agent.agent_id)
        row = asdict(agent) | {"PartitionKey": "agent", "RowKey": escape_key(agent.agent_id),
                               "last_location": dumps(agent.last_location)}
        upsert(table, row)
        for kind, value, before in (("acs", agent.acs_user_id, old.acs_user_id if old else None),
                                    ("user", agent.sign_in_id, old.sign_in_id if old else None)):
            if value:
                upsert(table, {"PartitionKey": kind, "RowKey": escape_key(value), "agent_id": agent.agent_id})
            if before and before != value:
                delete(table, kind, escape_key(before))
        return old

    def list(self) -> list[Agent]:
        return [_agent(e) for e in query(self._tables.get(self.TABLE), "PartitionKey eq 'agent'")]

    def by_acs_user(self, acs_user_id: str) -> Agent | None:
        e = get_entity(self._tables.get(self.TABLE), "acs", escape_key(acs_user_id))
        return self.get(e["agent_id"]) if e else None

    def by_sign_in(self, user_id: str) -> str | None:
        """The agent id a signed-in user acts as (one point read of the index row)."""
        e = get_entity(self._tables.get(self.TABLE), "user", escape_key(user_id))
        return str(e["agent_id"]) if e else None


def _agent(e: dict[str, Any]) -> Agent:
    fields = {k: v for k, v in e.items() if k in Agent.__dataclass_fields__}
    fields["last_location"] = loads(e.get("last_location"), lambda: None)
    return Agent(**fields)


class TablePresenceStore:
    TABLE = "presence"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def get(self, agent_id: str) -> tuple[Presence, str | None]:
        e = get_entity(self._tables.get(self.TABLE), escape_key(agent_id), "presence")
        if e is None:
            return Presence(agent_id=agent_id), None
        return _presence(e), e["_etag"]

    def save(self, presence: Presence, version: str | None) -> None:
        """Conditional: insert when never stored, else replace if unchanged; Conflict when it lost a race."""
        row = {"PartitionKey": escape_key(presence.agent_id), "RowKey": "presence", "agent_id": presence.agent_id,
               "status": presence.status, "emergency_call_id": presence.emergency_call_id,
               "previous": presence.previous, "emergency_since": ts(presence.emergency_since),
               "changed_at": ts(presence.changed_at), "in_emergency": presence.in_emergency}
        table = self._tables.get(self.TABLE)
        if version is None:
            insert(table, row)
        else:
            replace_if(table, row, version)

    def in_emergency(self) -> list[Presence]:
        return [_presence(e) for e in query(self._tables.get(self.TABLE), "in_emergency eq true")]


def _presence(e: dict[str, Any]) -> Presence:
    return Presence(agent_id=e["agent_id"], status=e["status"], emergency_call_id=e.get("emergency_call_id"),
                    previous=e.get("previous"), emergency_since=dt(e.get("emergency_since")),
                    changed_at=dt(e.get("changed_at")))


class TableCallStore:
    """Emergency call records (restricted: only the admin API reads them), their ACS call-id links, and the live
    board's index: one row per call that may be in progress or in its window, in one small partition, so the board
    reads one partition (tens of rows) rather than every incident kept."""

    TABLE = "emergencycalls"
    LINKS = "emergencycalllinks"
    BOARD = table_board.TABLE

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def create(self, call: EmergencyCall) -> bool:
        try:
            insert(self._tables.get(self.TABLE), _call_row(call))
        except Conflict:
            return False
        if call.origin not in ("dial", "end"):  # rebuilt off the dial's path; a dial's is listed when announced
            table_board.list_call(self._tables, call.call_id)
        return True

    def get(self, call_id: str) -> tuple[EmergencyCall, str] | None:
        e = get_entity(self._tables.get(self.TABLE), escape_key(call_id), "call")
        return (_call(e), e["_etag"]) if e else None

    def save(self, call: EmergencyCall, version: str) -> None:
        replace_if(self._tables.get(self.TABLE), _call_row(call), version)
        if call.announced or call.origin != "dial":  # a dial's record before its answer is not on the board yet
            table_board.touch(self._tables, call.call_id)

    def mark_announced(self, call_id: str) -> None:
        """The board's index row first: if it fails the flag stays unset and the timer's repeat lists it too. Never
        on the dial's path (the dial defers the mark until it has answered)."""
        table_board.list_call(self._tables, call_id)
        merge_existing(self._tables.get(self.TABLE), {"PartitionKey": escape_key(call_id), "RowKey": "call",
                                                      "announced": True})

    def link(self, call_id: str, server_call_id: str | None, correlation_id: str | None) -> None:
        table = self._tables.get(self.LINKS)
        for pk in _link_keys(server_call_id, correlation_id):
            upsert(table, {"PartitionKey": pk, "RowKey": "", "call_id": call_id})

    def find_linked(self, server_call_id: str | None, correlation_id: str | None) -> str | None:
        e = self._first(server_call_id, correlation_id, "")
        return str(e["call_id"]) if e else None

    def remember_end(self, server_call_id: str | None, correlation_id: str | None, ended_at: datetime) -> None:
        """One row beside each link key, so the call-ids' arrival finds it with the link's own partition."""
        table = self._tables.get(self.LINKS)
        for pk in _link_keys(server_call_id, correlation_id):
            upsert(table, {"PartitionKey": pk, "RowKey": "ended", "ended_at": ts(ended_at)})

    def remembered_end(self, server_call_id: str | None, correlation_id: str | None) -> datetime | None:
        e = self._first(server_call_id, correlation_id, "ended")
        return dt(e.get("ended_at")) if e else None

    def _first(self, server_call_id: str | None, correlation_id: str | None, row: str) -> dict[str, Any] | None:
        table = self._tables.get(self.LINKS)
        for pk in reversed(_link_keys(server_call_id, correlation_id)):  # the correlation id first
            e = get_entity(table, pk, row)
            if e:
                return e
        return None

    def board_rows(self) -> list[BoardRow]:
        """One partition query of the index (the calls in progress or in their window, and those the board has not
        dropped yet): its size follows the calls going on, not the history."""
        return table_board.rows(self._tables)

    def keep_board_summary(self, row: BoardRow, summary: dict[str, Any], at: datetime) -> bool:
        return table_board.keep(self._tables, row, summary, at)

    def off_board(self, call_id: str) -> None:
        table_board.drop(self._tables, call_id)

    def list(self) -> list[EmergencyCall]:
        return [_call(e) for e in query(self._tables.get(self.TABLE), "RowKey eq 'call'")]

    def delete(self, call_id: str) -> None:
        delete(self._tables.get(self.TABLE), escape_key(call_id), "call")
        self.off_board(call_id)


def _link_keys(server_call_id: str | None, correlation_id: str | None) -> list[str]:
    return [f"{kind}:{escape_key(value)}" for kind, value in (("server", server_call_id),
                                                                ("correlation", correlation_id)) if value]


_CALL_TIMES = ("dialed_at", "callback_until", "ended_at")
_CALL_JSON = ("location", "warnings", "callbacks", "presence_marks")


def _call_row(call: EmergencyCall) -> dict[str, Any]:
    row = asdict(call)
    row.update({k: ts(getattr(call, k)) for k in _CALL_TIMES})
    row.update({k: dumps(row[k]) for k in _CALL_JSON})
    return row | {"PartitionKey": escape_key(call.call_id), "RowKey": "call"}


def _call(e: dict[str, Any]) -> EmergencyCall:
    fields = {k: v for k, v in e.items() if k in EmergencyCall.__dataclass_fields__}
    fields.setdefault("country", None)  # Table Storage has no null: an unknown country is not stored at all
    fields.update({k: dt(e.get(k)) for k in _CALL_TIMES})
    fields["location"] = loads(e.get("location"), lambda: None)
    fields["warnings"] = tuple(loads(e.get("warnings"), list))
    fields["callbacks"] = tuple(loads(e.get("callbacks"), list))
    fields["presence_marks"] = tuple(loads(e.get("presence_marks"), list))
    return EmergencyCall(**fields)


class TableHistoryStore:
    """Call history per agent, newest first (row keys count down from the far future)."""

    TABLE = "callhistory"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def add(self, agent_id: str, entry_id: str, entry: dict[str, Any]) -> None:
        at = datetime.fromisoformat(entry["at"])
        row_key = f"{10**13 - int(at.timestamp() * 1000):013d}_{escape_key(entry_id)}"
        upsert(self._tables.get(self.TABLE), {"PartitionKey": escape_key(agent_id), "RowKey": row_key,
                                              "entry": dumps(entry)})

    def list(self, agent_id: str) -> list[dict[str, Any]]:
        rows = query(self._tables.get(self.TABLE), "PartitionKey eq @pk", pk=escape_key(agent_id))
        return [loads(r["entry"], dict) for r in rows]
