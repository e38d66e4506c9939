"""Use cases of the admin API: agents and the callback-number pool. Every change is audited (who, when, old -> new).

A retired number is never leased again: adding it again is refused (409); only `reinstate_number`, an action of its
own (audited as "reinstated"), puts it back in service. Retiring is refused when an agent would fail a readiness check
or when it takes the last free number of a region that an agent's callback check relies on (shared/domain/impact.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from shared.domain.audit import Actor
from shared.domain.calls import Agent
from shared.domain.impact import Impact
from shared.domain.lease import LeasePolicy, NumberState, PoolNumber, count_states
from shared.domain.locales import agent_locale
from shared.domain.numbers import SUPPORTED_COUNTRIES, mask_phone, pool_region, region_for_country
from shared.domain.readiness import Status, sign_in
from shared.errors import NotFound, StateConflict
from shared.ports import AdminPorts, Conflict
from shared.services import audit, readiness

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
        # `locale` as set (None: from her country); `effectiveLocale` what she and her contacts are told in
        "locale": d["locale"], "effectiveLocale": agent_locale(agent),
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
    """Make the active pool exactly `wanted`: add new numbers, retire the rest (leases keep running). A retired
    number in `wanted` is refused (409: reinstate it first), and so is a set that leaves an agent without the
    callback number her readiness relies on; nothing is changed then."""
    existing = {n.number: n for n in deps.pool.list_all()}
    retired = [n for n in wanted if n in existing and existing[n].retired]
    if retired:
        raise StateConflict(f"{', '.join(retired)} {'is' if len(retired) == 1 else 'are'} retired: a retired number "
                            "is never leased again; reinstate it on its own (POST /api/manage/callback-numbers/"
                            "{number}/reinstate, audited) if it must come back")
    leaving = [n for number, n in existing.items() if number not in wanted and not n.retired]
    refusal = _retire_impact(leaving, deps, policy).refusal
    if refusal is not None:
        raise StateConflict(refusal)
    for number in wanted:
        if number not in existing:
            _add(number, actor, deps)
    for n in leaving:
        _set_retired(n, True, actor, deps)
    return list_pool(deps, policy)


def add_number(number: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Add one number to the pool; 409 when it is in service already, or retired (never leased again, unless
    reinstated on purpose)."""
    current = deps.pool.get(number)
    if current is not None and current.retired:
        raise StateConflict(f"{number} is retired: a retired number is never leased again. If it must come back, "
                            "reinstate it (its own action, recorded in the audit log)")
    if current is not None:
        raise StateConflict(f"{number} is already in the pool")
    _add(number, actor, deps)
    return _view_of(number, deps, policy)


def reinstate_number(number: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Put a retired number back in service on purpose (audited as "reinstated"); idempotent; 404 if unknown."""
    current = deps.pool.get(number)
    if current is None:
        raise NotFound(f"{number} is not in the pool")
    if current.retired:
        _set_retired(current, False, actor, deps)
    return _view_of(number, deps, policy)


def retire_impact(number: str, deps: AdminPorts, policy: LeasePolicy) -> Impact:
    """What retiring `number` would do (read-only; 404 if unknown): the agents whose readiness gets worse, and
    whether it is the last free number of its region."""
    current = deps.pool.get(number)
    if current is None:
        raise NotFound(f"{number} is not in the pool")
    return _retire_impact([] if current.retired else [current], deps, policy, number)


def retire_number(number: str, actor: Actor, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """Take one number out of service: it is never leased again; a live lease on it keeps running. Idempotent;
    409 when an agent would be left without the callback number her readiness relies on (see retire_impact)."""
    current = deps.pool.get(number)
    if current is None:
        raise NotFound(f"{number} is not in the pool")
    if not current.retired:
        refusal = _retire_impact([current], deps, policy, number).refusal
        if refusal is not None:
            raise StateConflict(refusal)
        _set_retired(current, True, actor, deps)
    return _view_of(number, deps, policy)


def _retire_impact(leaving: Sequence[PoolNumber], deps: AdminPorts, policy: LeasePolicy,
                   key: str | None = None) -> Impact:
    pool = deps.pool.list_all()
    gone = {n.number for n in leaving}
    after = [replace(n, retired=True) if n.number in gone else n for n in pool]
    now = deps.clock.now()

    def free(numbers: list[PoolNumber], region: str) -> int:
        return sum(1 for n in numbers if n.region == region and n.state(now, policy.quarantine) is NumberState.FREE)
    last_free = any(free(pool, n.region) and not free(after, n.region) for n in leaving)
    agents = readiness.changed_readiness(deps, policy, pool=after) if gone else ()
    return Impact("retire", "callback-number", key or ", ".join(sorted(gone)), (), agents, last_free)


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
    audit.record(deps, actor, "retired" if retired else "reinstated", "callback-number", n.number,
                 {"state": states[not retired]}, {"state": states[retired]})
    log.info("callback number %s %s", mask_phone(n.number), "retired" if retired else "reinstated")
