"""Use cases of the admin API: agents and the callback-number pool. Every change is audited (who, when, old -> new)."""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any

from shared.domain.audit import Actor
from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy, PoolNumber, count_states
from shared.domain.numbers import SUPPORTED_COUNTRIES, mask_phone, pool_region, region_for_country
from shared.domain.readiness import Status, sign_in
from shared.errors import NotFound, StateConflict
from shared.ports import AdminPorts, Conflict
from shared.services import audit

log = logging.getLogger(__name__)


def agent_view(agent: Agent) -> dict[str, Any]:
    d = asdict(agent)
    return {
        "agentId": d["agent_id"], "displayName": d["display_name"], "acsUserId": d["acs_user_id"],
        "outboundNumber": d["outbound_number"], "timezone": d["timezone"],
        "emailRecipients": d["email_recipients"], "smsRecipients": d["sms_recipients"],
        "mailboxEnabled": d["mailbox_enabled"], "outboundProfile": d["outbound_profile"],
        "capacityProfile": d["capacity_profile"], "lastLocation": d["last_location"],
        "signInId": d["sign_in_id"], "routingWorkerId": d["routing_worker_id"],
    }


def put_agent(agent: Agent, actor: Actor, deps: AdminPorts) -> dict[str, Any]:
    """Create or replace the agent; the audit names each changed field with its old and new value. Saved without
    a signInId (she may not have signed in yet), the answer warns what that means and what to set."""
    old = deps.agents.put(agent)
    audit.record(deps, actor, "updated" if old else "created", "agent", agent.agent_id,
                 agent_view(old) if old else None, agent_view(agent))
    log.info("agent %s saved by user %s", agent.agent_id, actor.user_id)
    check = sign_in(agent)
    warnings = [] if check.status is Status.PASS else [
        {"code": "no_sign_in", "message": f"{check.reason} {check.fix}"}]
    return agent_view(agent) | {"warnings": warnings}


def get_agent(agent_id: str, deps: AdminPorts) -> dict[str, Any]:
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    return agent_view(agent)


def number_view(n: PoolNumber, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    now = deps.clock.now()
    lease = n.active_lease(now)
    since = n.free_since()
    return {
        "number": n.number, "region": n.region, "state": n.state(now, policy.quarantine).value,
        "retired": n.retired,
        "lease": None if lease is None else {
            "emergencyCallId": lease.call_id, "agentId": lease.agent_id, "leasedAt": lease.leased_at.isoformat(),
            "expiresAt": lease.expires_at.isoformat(), "test": lease.test, "live": lease.live,
            "callEndedAt": lease.call_ended_at.isoformat() if lease.call_ended_at else None,
            # The hold of an earlier call of the agent this call kept the number of (never released before it).
            "keptUntil": lease.kept_until.isoformat() if lease.kept_until else None,
            # Held for a dial the agent is about to place (she typed an emergency number): no call yet.
            "preDialUntil": lease.claim_by.isoformat() if lease.claim_by else None},
        "quarantinedUntil": (since + policy.quarantine).isoformat()
        if since is not None and lease is None and since + policy.quarantine > now else None,
    }


def list_pool(deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    numbers = sorted(deps.pool.list_all(), key=lambda n: (n.region, n.number))
    now = deps.clock.now()
    regions = sorted({n.region for n in numbers})
    return {
        "numbers": [number_view(n, deps, policy) for n in numbers],
        "regions": {r: count_states([n for n in numbers if n.region == r], now, policy.quarantine) for r in regions},
        "countries": {r: countries_of(r) for r in regions},
    }


def countries_of(region: str) -> list[str]:
    """The supported countries a pool region (country calling code) serves: '1' -> CA, PR, US."""
    return sorted(c for c in SUPPORTED_COUNTRIES if region_for_country(c) == region)


def put_pool(wanted: list[str], actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Make the active pool exactly `wanted`: add new numbers, un-retire, retire the rest (leases keep running)."""
    existing = {n.number: n for n in deps.pool.list_all()}
    for number in wanted:
        current = existing.get(number)
        if current is None:
            _add(number, actor, deps)
        elif current.retired:
            _set_retired(current, False, actor, deps)
    for number, current in existing.items():
        if number not in wanted and not current.retired:
            _set_retired(current, True, actor, deps)
    return list_pool(deps, policy)


def add_number(number: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Add one number to the pool (or put a retired one back in service); 409 when it is in service already."""
    current = deps.pool.get(number)
    if current is not None and not current.retired:
        raise StateConflict(f"{number} is already in the pool")
    if current is None:
        _add(number, actor, deps)
    else:
        _set_retired(current, False, actor, deps)
    return _view_of(number, deps, policy)


def retire_number(number: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Take one number out of service: it is never leased again; a live lease on it keeps running. Idempotent."""
    current = deps.pool.get(number)
    if current is None:
        raise NotFound(f"{number} is not in the pool")
    if not current.retired:
        _set_retired(current, True, actor, deps)
    return _view_of(number, deps, policy)


def _view_of(number: str, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    stored = deps.pool.get(number)
    if stored is None:
        raise NotFound(f"{number} is not in the pool")
    return number_view(stored, deps, policy)


def _add(number: str, actor: Actor, deps: AdminPorts) -> None:
    try:
        deps.pool.add(PoolNumber(number=number, region=pool_region(number)))
    except Conflict:
        return  # added meanwhile by another request: the wanted state holds, and that request audits it
    audit.record(deps, actor, "added", "callback-number", number, None, {"state": "in service"})
    log.info("callback number %s added to the pool", mask_phone(number))


def _set_retired(n: PoolNumber, retired: bool, actor: Actor, deps: AdminPorts) -> None:
    if not deps.pool.replace(n, replace(n, retired=retired)):
        raise Conflict(f"callback number {mask_phone(n.number)} changed meanwhile; try again")
    states = ("in service", "retired")
    audit.record(deps, actor, "retired" if retired else "returned", "callback-number", n.number,
                 {"state": states[not retired]}, {"state": states[retired]})
    log.info("callback number %s %s", mask_phone(n.number), "retired" if retired else "back in service")
