"""The callback-number pool in Table Storage: partition = region (country calling code), row = E.164 number.

Beside the number rows, each partition holds an index (row keys that sort after every number, which start with '+'):
- `free|<free since>|<number>`: one row per number in service, keyed by when it became free or, while leased, when
  its lease expires; the free numbers are the first rows up to `now - quarantine`, least recently used first,
  whatever the pool's size ("expired means free" holds without the timer: an expired lease's row is in range).
- `call|<call id>`, `agent|<agent id>`: which number a call's or an agent's latest lease is on (the agent's row also
  names every number she held when it was written, `holds`: her share is counted from it); hints, checked
  against the number rows when read, so a stale one (removed by the timer) is never believed.
Every change of a number is one entity-group transaction that also moves its `free|` row, so the index never drifts
from a crash between steps; the lease's transaction is conditional on the `free|` row (taken with its ETag), every
other change on the number row's ETag, and each of the two kinds invalidates the other's condition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from shared.adapters.tables import (
    RowConflict,
    Tables,
    dt,
    escape_key,
    first_page,
    get_entity,
    query,
    replace_if,
    transact,
    ts,
)
from shared.domain.lease import FreeSlot, IndexRow, Lease, PoolNumber
from shared.domain.numbers import pool_region
from shared.ports import Conflict, Take

TABLE = "callbacknumbers"
FREE, CALL, AGENT = "free|", "call|", "agent|"
NUMBERS = "RowKey lt 'a'"  # numbers start with '+'; every index row with a lower-case word
NEVER = "0000-00-00T00:00:00.000000"  # sorts before every real instant: never-leased numbers come first


def since_key(since: datetime | None) -> str:
    """Fixed-width UTC, so the row keys sort as the instants do."""
    if since is None:
        return NEVER
    aware = since if since.tzinfo else since.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def slot_key(n: PoolNumber) -> str | None:
    """The number's `free|` row key, None when retired (a retired number is never leased)."""
    return None if n.retired else f"{FREE}{since_key(n.free_since())}|{n.number}"


def hint_rows(region: str, number: str, lease: Lease) -> tuple[dict[str, Any], dict[str, Any]]:
    """The call's and the agent's hint rows for a lease on `number`."""
    return (_row(region, CALL + escape_key(lease.call_id), number) | {"owner": lease.call_id},
            _row(region, AGENT + escape_key(lease.agent_id), number) | {"owner": lease.agent_id})


MERGE: dict[str, Any] = {"mode": UpdateMode.MERGE}
SEP = ";"


def _row(region: str, key: str, number: str) -> dict[str, Any]:
    return {"PartitionKey": region, "RowKey": key, "number": number}


def _if_match(etag: str | None) -> dict[str, Any]:
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


REPLACE: dict[str, Any] = {"mode": UpdateMode.REPLACE}


def to_entity(n: PoolNumber) -> dict[str, Any]:
    lease = n.lease
    entity: dict[str, Any] = {
        "PartitionKey": n.region, "RowKey": n.number, "retired": n.retired, "releasedAt": ts(n.released_at),
    }
    if lease is not None:
        entity.update({
            "leaseCallId": lease.call_id, "leaseAgentId": lease.agent_id, "leaseAcsUserId": lease.acs_user_id,
            "leasedAt": ts(lease.leased_at), "expiresAt": ts(lease.expires_at),
            "callEndedAt": ts(lease.call_ended_at), "leaseTest": lease.test,
            "leaseDialed": lease.dialed_number, "leaseCountry": lease.country, "keptUntil": ts(lease.kept_until),
            "claimBy": ts(lease.claim_by),
        })
    return entity


def from_entity(e: dict[str, Any]) -> PoolNumber:
    lease = None
    if e.get("leaseCallId"):
        leased_at, expires_at = dt(e["leasedAt"]), dt(e["expiresAt"])
        assert leased_at is not None and expires_at is not None
        lease = Lease(call_id=e["leaseCallId"], agent_id=e.get("leaseAgentId", ""),
                      acs_user_id=e.get("leaseAcsUserId"), leased_at=leased_at, expires_at=expires_at,
                      call_ended_at=dt(e.get("callEndedAt")), test=bool(e.get("leaseTest", False)),
                      dialed_number=e.get("leaseDialed") or "", country=e.get("leaseCountry"),
                      kept_until=dt(e.get("keptUntil")), claim_by=dt(e.get("claimBy")))
    return PoolNumber(number=e["RowKey"], region=e["PartitionKey"], lease=lease, released_at=dt(e.get("releasedAt")),
                      retired=bool(e.get("retired", False)), version=e.get("_etag"))


class TablePoolStore:
    """PoolStore on Table Storage; every change is one conditional transaction, so two instances never both win."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _table(self) -> Any:
        return self._tables.get(TABLE)

    def list_region(self, region: str) -> list[PoolNumber]:
        """The whole pool of a region with ETags (admin views and the index's slow path, never every dial)."""
        return [from_entity(e) for e in query(self._table(), f"PartitionKey eq @pk and {NUMBERS}", pk=region)]

    def list_all(self) -> list[PoolNumber]:
        return [from_entity(e) for e in query(self._table(), f"PartitionKey ne '' and {NUMBERS}")]

    def get(self, number: str) -> PoolNumber | None:
        """One point read (the callback decision path)."""
        try:
            region = pool_region(number)
        except Exception:  # not a phone number at all: it cannot be in the pool
            return None
        entity = get_entity(self._table(), region, number)
        return from_entity(entity) if entity is not None else None

    def add(self, number: PoolNumber) -> None:
        """The number and its `free|` row in one transaction: Conflict when the number is in the pool already."""
        ops: list[Any] = [("create", to_entity(number))]
        key = slot_key(number)
        if key is not None:
            ops.append(("upsert", _row(number.region, key, number.number), REPLACE))
        transact(self._table(), ops)

    def replace(self, old: PoolNumber, new: PoolNumber) -> bool:
        """ETag-conditional on the number row; moves its `free|` row and points the hints at a new lease."""
        if old.version is None:
            raise ValueError("a pool number must be read before it is changed")
        old_key, new_key = slot_key(old), slot_key(new)
        ops: list[Any] = [("update", to_entity(new), REPLACE | _if_match(old.version))]
        if new_key is not None and new_key != old_key:
            ops.append(("upsert", _row(new.region, new_key, new.number), REPLACE))
        if new.lease is not None and (old.lease is None or old.lease.call_id != new.lease.call_id):
            call_row, agent_row = hint_rows(new.region, new.number, new.lease)
            ops += [("upsert", call_row, REPLACE), ("upsert", agent_row, MERGE)]  # her other holds kept
        if old_key is not None and old_key != new_key:
            ops.append(("delete", {"PartitionKey": old.region, "RowKey": old_key}))
        try:
            transact(self._table(), ops)
        except RowConflict as exc:
            if exc.index == len(ops) - 1 and exc.status == 404 and old_key not in (None, new_key):
                return self._transact_or_false(ops[:-1])  # the old `free|` row was missing (drift): no matter
            return False
        return True

    def _transact_or_false(self, ops: list[Any]) -> bool:
        try:
            transact(self._table(), ops)
        except Conflict:
            return False
        return True

    def remove(self, number: PoolNumber) -> bool:
        """Delete the number (ETag-conditional) with its `free|` row; False when it changed meanwhile."""
        ops: list[Any] = [("delete", {"PartitionKey": number.region, "RowKey": number.number},
                           _if_match(number.version))]
        key = slot_key(number)
        if key is None:
            return self._transact_or_false(ops)
        try:
            transact(self._table(), [*ops, ("delete", _row(number.region, key, ""))])
        except RowConflict as exc:
            return exc.index == 1 and self._transact_or_false(ops)  # its `free|` row was missing already
        return True

    # The constant-cost lease.

    def free_numbers(self, region: str, until: datetime, limit: int) -> list[FreeSlot]:
        """The first `limit` numbers free since `until` or earlier, least recently used first: one request."""
        rows = first_page(self._table(), "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi", limit,
                          pk=region, lo=FREE, hi=f"{FREE}{since_key(until)}|~")
        return [_slot(e) for e in rows]

    def take(self, slot: FreeSlot, lease: Lease, agent_hint: str | None = None, holds: tuple[str, ...] = ()) -> Take:
        """Lease an indexed free number in one transaction: its `free|` row taken with its ETag, moved to the
        lease's expiry, the number row rewritten, the hints created (`agent_hint`: the ETag of the agent's row as
        read, to replace; `holds`: the numbers she holds besides, kept in it). Which condition failed says why:
        the number went to someone else, or the agent's row exists or changed (she may hold a lease already)."""
        taken = PoolNumber(number=slot.number, region=slot.region, lease=lease, released_at=slot.since)
        call_row, agent_row = hint_rows(slot.region, slot.number, lease)
        # Every number she holds, this one included: a later take-over or unindexed lease rewrites only `number`.
        agent_row["holds"] = SEP.join(dict.fromkeys((*holds, slot.number)))
        new_key = slot_key(taken)
        assert new_key is not None
        ops: list[Any] = [
            ("delete", _row(slot.region, f"{FREE}{since_key(slot.since)}|{slot.number}", ""),
             _if_match(slot.version)),
            ("upsert", call_row, REPLACE),
            ("create", agent_row) if agent_hint is None else ("update", agent_row, REPLACE | _if_match(agent_hint)),
            ("update", to_entity(taken), REPLACE),
            ("upsert", _row(slot.region, new_key, slot.number), REPLACE),
        ]
        try:
            transact(self._table(), ops)
        except RowConflict as exc:
            return Take.AGENT if exc.index == 2 else Take.LOST
        return Take.TAKEN

    def claim(self, held: PoolNumber, claimed: PoolNumber) -> bool:
        """A dial claims its pre-dial hold: the number's row alone, conditional on its ETag (its index rows stay
        as they are: the hold already is the call's lease in all but the claim). False when it changed meanwhile
        (the timer released it, or another hold of the agent took it over)."""
        if held.version is None or slot_key(held) != slot_key(claimed):
            raise ValueError("a claim changes only the lease's claim, on a number read before")
        try:
            replace_if(self._table(), to_entity(claimed), held.version)
        except Conflict:
            return False
        return True

    def leased_to_call(self, region: str, call_id: str) -> PoolNumber | None:
        """The number the call's hint names, as it is now (the caller checks the lease); one or two point reads."""
        hint = get_entity(self._table(), region, CALL + escape_key(call_id))
        return self._number(region, hint)

    def agent_holds(self, region: str, agent_id: str) -> tuple[list[PoolNumber], str | None]:
        """The numbers the agent's row names (her latest lease's first), as they are now, and the row's ETag (None
        when there is none): a point read each."""
        hint = get_entity(self._table(), region, AGENT + escape_key(agent_id))
        if hint is None:
            return [], None
        named = dict.fromkeys([hint["number"], *(n for n in str(hint.get("holds") or "").split(SEP) if n)])
        found = [get_entity(self._table(), region, number) for number in named]
        return [from_entity(e) for e in found if e is not None], hint["_etag"]

    def _number(self, region: str, hint: dict[str, Any] | None) -> PoolNumber | None:
        if hint is None:
            return None
        entity = get_entity(self._table(), region, hint["number"])
        return from_entity(entity) if entity is not None else None

    # Index repair (the timer).

    def list_index(self) -> list[IndexRow]:
        rows = query(self._table(), "PartitionKey ne '' and RowKey ge 'a'")
        return [_index_row(e) for e in rows]

    def index_number(self, number: PoolNumber) -> bool:
        """Put an in-service number's missing `free|` row back, only if the number is unchanged since read."""
        key = slot_key(number)
        if key is None or number.version is None:
            return False
        return self._transact_or_false([
            ("update", {"PartitionKey": number.region, "RowKey": number.number}, {"mode": UpdateMode.MERGE}
             | _if_match(number.version)),
            ("create", _row(number.region, key, number.number))])

    def drop_index(self, row: IndexRow) -> bool:
        """Remove an index row that names no current state, only if unchanged since read."""
        return self._transact_or_false([("delete", _row(row.region, row.key, ""), _if_match(row.version))])


def _since(key: str) -> datetime | None:
    since = key[len(FREE):].split("|", 1)[0]
    return None if since == NEVER else datetime.fromisoformat(since).replace(tzinfo=UTC)


def _slot(e: dict[str, Any]) -> FreeSlot:
    return FreeSlot(number=e["number"], region=e["PartitionKey"], since=_since(e["RowKey"]), version=e["_etag"])


def _index_row(e: dict[str, Any]) -> IndexRow:
    kind = e["RowKey"].split("|", 1)[0]
    return IndexRow(region=e["PartitionKey"], key=e["RowKey"], kind=kind, number=e.get("number", ""),
                    since=_since(e["RowKey"]) if kind == "free" else None, owner=e.get("owner", ""),
                    holds=tuple(n for n in str(e.get("holds") or "").split(SEP) if n), version=e["_etag"])
