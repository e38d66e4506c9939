"""The voice configuration and the audit log in Table Storage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from shared.adapters.tables import Tables, delete, dt, escape_key, get_entity, translate_errors, ts, upsert
from shared.domain.audit import Actor, AuditEntry, AuditQuery
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

    def recent(self, query: AuditQuery) -> list[AuditEntry]:
        """One query: the time range as a range of row keys (they count down from the far future), the other
        filters evaluated by the service; read until the change after the `limit`th begins."""
        filters, params = ["PartitionKey eq @pk"], {"pk": self.PARTITION}
        if query.end is not None:  # at < end: the key of the instant before `end`, or after
            filters.append("RowKey ge @after")
            params["after"] = f"{10**13 - _millis(query.end) + 1:013d}"
        if query.start is not None:  # at >= start: keys up to the start's (and its suffixes)
            filters.append("RowKey lt @before")
            params["before"] = f"{10**13 - _millis(query.start):013d}~"
        for column, value in (("entity", query.entity), ("entity_id", query.entity_id)):
            if value:
                filters.append(f"{column} eq @{column}")
                params[column] = value
        if query.actor:
            filters.append("(actor_id eq @actor or actor_name eq @actor )")  # the SDK reads @names up to a space
            params["actor"] = query.actor
        table = self._tables.get(self.TABLE)
        found: list[AuditEntry] = []
        changes: set[str] = set()
        with translate_errors():
            for row in table.query_entities(" and ".join(filters), parameters=params, results_per_page=1000):
                entry = _entry(dict(row))
                if entry.change_id not in changes and len(changes) == query.limit:
                    break
                changes.add(entry.change_id)
                found.append(entry)
        return [e for e in found if query.matches(e)]

    def _row(self, e: AuditEntry, index: int) -> dict[str, Any]:
        millis = _millis(e.at)
        row = {"PartitionKey": self.PARTITION, "RowKey": f"{10**13 - millis:013d}_{e.change_id}_{index:03d}",
               "change_id": e.change_id, "at": ts(e.at), "actor_id": e.actor.user_id, "actor_name": e.actor.name,
               "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "field": e.field,
               "old": _clip(e.old), "new": _clip(e.new)}
        return {k: v for k, v in row.items() if v is not None}


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


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
