"""Use cases of the voice setup: capacity and outbound profiles, the resource's numbers, direct-routing rules.

Every change is audited with the signed-in admin, field by field. A deletion is refused (409) while something uses
the record or when it would make an agent fail a readiness check (shared/domain/impact.py); `delete_impact` answers
the same judgement before the admin confirms.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.domain.audit import Actor
from shared.domain.impact import Impact, references, without
from shared.domain.lease import LeasePolicy
from shared.domain.numbers import mask_phone
from shared.domain.voice_config import (
    CapacityProfile,
    OutboundProfile,
    ResourceNumber,
    RoutingRule,
    VoiceConfig,
    VoiceRecord,
)
from shared.errors import NotFound, StateConflict
from shared.ports import AdminPorts
from shared.services import audit, readiness

log = logging.getLogger(__name__)

ENTITY = {CapacityProfile.KIND: "capacity-profile", OutboundProfile.KIND: "outbound-profile",
          ResourceNumber.KIND: "resource-number", RoutingRule.KIND: "routing-rule"}


def record_view(r: VoiceRecord) -> dict[str, Any]:
    if isinstance(r, CapacityProfile):
        return {"id": r.profile_id, "name": r.name}
    if isinstance(r, OutboundProfile):
        return {"id": r.profile_id, "name": r.name, "channel": r.channel, "outboundNumber": r.outbound_number,
                "capacityProfiles": list(r.capacity_profiles)}
    if isinstance(r, ResourceNumber):
        return {"number": r.number, "type": r.number_type.value, "country": r.country}
    return {"name": r.name, "numberPattern": r.number_pattern, "trunks": list(r.trunks)}


def config_view(config: VoiceConfig) -> dict[str, Any]:
    return {
        CapacityProfile.KIND: [record_view(r) for r in config.capacity_profiles],
        OutboundProfile.KIND: [record_view(r) for r in config.outbound_profiles],
        ResourceNumber.KIND: [record_view(r) for r in config.numbers],
        RoutingRule.KIND: [record_view(r) for r in config.routing_rules],
    }


def get_config(deps: AdminPorts) -> dict[str, Any]:
    return config_view(deps.voice_config.load())


def get_record(kind: str, key: str, deps: AdminPorts) -> dict[str, Any]:
    found = _find(deps.voice_config.load(), kind, key)
    if found is None:
        raise NotFound(f"no {ENTITY[kind]} {key}")
    return record_view(found)


def put_record(record: VoiceRecord, actor: Actor, deps: AdminPorts) -> dict[str, Any]:
    """Create or replace; the audit says which fields changed from what to what."""
    old = _find(deps.voice_config.load(), record.KIND, record.key)
    deps.voice_config.put(record)
    audit.record(deps, actor, "updated" if old else "created", ENTITY[record.KIND], record.key,
                 record_view(old) if old else None, record_view(record))
    log.info("%s %s saved", ENTITY[record.KIND], _masked(record.KIND, record.key))
    return record_view(record)


def delete_impact(kind: str, key: str, deps: AdminPorts, policy: LeasePolicy) -> Impact:
    """What deleting the record would do: who names it, which agents' readiness gets worse. Read-only; 404 if
    unknown."""
    config = deps.voice_config.load()
    record = _find(config, kind, key)
    if record is None:
        raise NotFound(f"no {ENTITY[kind]} {key}")
    agents = sorted(deps.agents.list(), key=lambda a: a.agent_id)
    return Impact("delete", ENTITY[kind], key, references(record, agents, config),
                  readiness.changed_readiness(deps, policy, config=without(config, kind, key)))


def delete_record(kind: str, key: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> None:
    """Delete, unless something uses the record or an agent would fail a readiness check (409 saying who: no
    override); 404 if unknown. Checked against the stored state just before the delete (a change between the two
    reads is not seen)."""
    refusal = delete_impact(kind, key, deps, policy).refusal
    if refusal is not None:
        log.info("%s %s not deleted: still in use or needed", ENTITY[kind], _masked(kind, key))
        raise StateConflict(refusal)
    old = _find(deps.voice_config.load(), kind, key)
    if old is None or not deps.voice_config.delete(kind, key):
        raise NotFound(f"no {ENTITY[kind]} {key}")
    audit.record(deps, actor, "deleted", ENTITY[kind], key, record_view(old), None)
    log.info("%s %s deleted", ENTITY[kind], _masked(kind, key))


def _find(config: VoiceConfig, kind: str, key: str) -> VoiceRecord | None:
    by_kind: dict[str, tuple[VoiceRecord, ...]] = {
        CapacityProfile.KIND: config.capacity_profiles, OutboundProfile.KIND: config.outbound_profiles,
        ResourceNumber.KIND: config.numbers, RoutingRule.KIND: config.routing_rules}
    return next((r for r in by_kind[kind] if r.key == key), None)


def _masked(kind: str, key: str) -> str:
    return mask_phone(key) if kind == ResourceNumber.KIND else key
