"""The callback-number pool in Table Storage: partition = region (country calling code), row = E.164 number."""

from __future__ import annotations

from typing import Any

from shared.adapters.tables import Tables, delete, dt, get_entity, insert, query, replace_if, ts
from shared.domain.lease import Lease, PoolNumber
from shared.domain.numbers import pool_region
from shared.ports import Conflict

TABLE = "callbacknumbers"


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
            "leaseDialed": lease.dialed_number, "leaseCountry": lease.country,
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
                      dialed_number=e.get("leaseDialed") or "", country=e.get("leaseCountry"))
    return PoolNumber(number=e["RowKey"], region=e["PartitionKey"], lease=lease, released_at=dt(e.get("releasedAt")),
                      retired=bool(e.get("retired", False)), version=e.get("_etag"))


class TablePoolStore:
    """PoolStore on Table Storage; every change is ETag-conditional, so two instances can never both win."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def list_region(self, region: str) -> list[PoolNumber]:
        """One partition query: the whole pool of a region with ETags (pools are small: tens to hundreds)."""
        return [from_entity(e) for e in query(self._tables.get(TABLE), "PartitionKey eq @pk", pk=region)]

    def list_all(self) -> list[PoolNumber]:
        return [from_entity(e) for e in query(self._tables.get(TABLE), "PartitionKey ne ''")]

    def get(self, number: str) -> PoolNumber | None:
        """One point read (the callback decision path)."""
        try:
            region = pool_region(number)
        except Exception:  # not a phone number at all: it cannot be in the pool
            return None
        entity = get_entity(self._tables.get(TABLE), region, number)
        return from_entity(entity) if entity is not None else None

    def add(self, number: PoolNumber) -> None:
        """Conditional insert: Conflict when the number is in the pool already."""
        insert(self._tables.get(TABLE), to_entity(number))

    def replace(self, old: PoolNumber, new: PoolNumber) -> bool:
        if old.version is None:
            raise ValueError("a pool number must be read before it is changed")
        try:
            replace_if(self._tables.get(TABLE), to_entity(new), old.version)
        except Conflict:
            return False
        return True

    def remove(self, number: PoolNumber) -> bool:
        try:
            delete(self._tables.get(TABLE), number.region, number.number, number.version)
        except Conflict:
            return False
        return True
