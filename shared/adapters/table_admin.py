"""The voice configuration and the audit log in Table Storage."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from shared.adapters.tables import Tables, delete, dt, escape_key, get_entity, translate_errors, ts, upsert
from shared.domain.audit import Actor, AuditEntry
from shared.domain.voice_config import (
    KINDS,
    CapacityProfile,
    NumberType,
    OutboundProfile,
    ResourceNumber,
    RoutingRule,
    VoiceConfig,
    VoiceRecord,
)

_MAX_TEXT = 30_000  # a string property holds at most 32K characters; a template part is at most 30,000
_BATCH = 100  # operations per entity group transaction


class TableVoiceConfigStore:
    """Partition = kind (capacity-profiles, outbound-profiles, numbers, routing-rules), row = the record's key."""

    TABLE = "voiceconfig"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def load(self) -> VoiceConfig:
        with translate_errors():
            rows = list(self._tables.get(self.TABLE).list_entities())
        return VoiceConfig.of([record_from_json(r["PartitionKey"], r["record"]) for r in rows
                               if r.get("PartitionKey") in KINDS])

    def put(self, record: VoiceRecord) -> None:
        upsert(self._tables.get(self.TABLE), {"PartitionKey": record.KIND, "RowKey": escape_key(record.key),
                                              "record": record_to_json(record)})

    def delete(self, kind: str, key: str) -> bool:
        table = self._tables.get(self.TABLE)
        if get_entity(table, kind, escape_key(key)) is None:
            return False
        delete(table, kind, escape_key(key))
        return True


def record_to_json(record: VoiceRecord) -> str:
    return json.dumps(asdict(record), default=str, separators=(",", ":"))


def record_from_json(kind: str, raw: str) -> VoiceRecord:
    d: dict[str, Any] = json.loads(raw)
    if kind == CapacityProfile.KIND:
        return CapacityProfile(d["profile_id"], d["name"])
    if kind == OutboundProfile.KIND:
        return OutboundProfile(d["profile_id"], d["name"], d.get("channel") or "voice", d.get("outbound_number"),
                               tuple(d.get("capacity_profiles") or ()))
    if kind == ResourceNumber.KIND:
        return ResourceNumber(d["number"], NumberType(d["number_type"]), d["country"])
    return RoutingRule(d["name"], d["number_pattern"], tuple(d.get("trunks") or ()))


class TableAuditLog:
    """One partition; row keys count down from the far future, so the newest change is read first."""

    TABLE = "auditlog"
    PARTITION = "audit"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def append(self, entries: Sequence[AuditEntry]) -> None:
        table = self._tables.get(self.TABLE)
        rows = [self._row(e, i) for i, e in enumerate(entries)]
        for start in range(0, len(rows), _BATCH):
            with translate_errors():
                table.submit_transaction([("upsert", row) for row in rows[start:start + _BATCH]])

    def recent(self, limit: int, entity: str | None = None, entity_id: str | None = None) -> list[AuditEntry]:
        filters, params = ["PartitionKey eq @pk"], {"pk": self.PARTITION}
        if entity:
            filters.append("entity eq @entity")
            params["entity"] = entity
        if entity_id:
            filters.append("entity_id eq @entity_id")
            params["entity_id"] = entity_id
        table = self._tables.get(self.TABLE)
        with translate_errors():
            found = table.query_entities(" and ".join(filters), parameters=params, results_per_page=min(limit, 1000))
            return [_entry(dict(e)) for e in itertools.islice(found, limit)]

    def _row(self, e: AuditEntry, index: int) -> dict[str, Any]:
        millis = int(e.at.timestamp() * 1000)
        row = {"PartitionKey": self.PARTITION, "RowKey": f"{10**13 - millis:013d}_{e.change_id}_{index:03d}",
               "change_id": e.change_id, "at": ts(e.at), "actor_id": e.actor.user_id, "actor_name": e.actor.name,
               "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "field": e.field,
               "old": _clip(e.old), "new": _clip(e.new)}
        return {k: v for k, v in row.items() if v is not None}


def _clip(value: str | None) -> str | None:
    if value is None or len(value) <= _MAX_TEXT:
        return value
    return value[:_MAX_TEXT] + " [... cut: the full text is in the template's versions]"


def _entry(e: dict[str, Any]) -> AuditEntry:
    at = dt(e.get("at"))
    assert at is not None, "an audit entry always has a time"
    return AuditEntry(str(e["change_id"]), at, Actor(str(e.get("actor_id") or ""), str(e.get("actor_name") or "")),
                      str(e.get("action") or ""), str(e.get("entity") or ""), str(e.get("entity_id") or ""),
                      str(e.get("field") or ""), e.get("old"), e.get("new"))
