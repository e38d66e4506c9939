"""Use cases of the admin API: agents and the callback-number pool."""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any

from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy, PoolNumber, count_states
from shared.domain.numbers import mask_phone, pool_region
from shared.errors import NotFound
from shared.ports import Conflict, Ports

log = logging.getLogger(__name__)


def agent_view(agent: Agent) -> dict[str, Any]:
    d = asdict(agent)
    return {
        "agentId": d["agent_id"], "displayName": d["display_name"], "acsUserId": d["acs_user_id"],
        "outboundNumber": d["outbound_number"], "timezone": d["timezone"],
        "emailRecipients": d["email_recipients"], "smsRecipients": d["sms_recipients"],
        "mailboxEnabled": d["mailbox_enabled"], "outboundProfile": d["outbound_profile"],
        "capacityProfile": d["capacity_profile"], "lastLocation": d["last_location"],
    }


def put_agent(agent: Agent, deps: Ports) -> dict[str, Any]:
    deps.agents.put(agent)
    log.info("agent %s saved", agent.agent_id)
    return agent_view(agent)


def get_agent(agent_id: str, deps: Ports) -> dict[str, Any]:
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    return agent_view(agent)


def number_view(n: PoolNumber, deps: Ports, policy: LeasePolicy) -> dict[str, Any]:
    now = deps.clock.now()
    lease = n.active_lease(now)
    since = n.free_since()
    return {
        "number": n.number, "region": n.region, "state": n.state(now, policy.quarantine).value,
        "retired": n.retired,
        "lease": None if lease is None else {
            "emergencyCallId": lease.call_id, "agentId": lease.agent_id, "leasedAt": lease.leased_at.isoformat(),
            "expiresAt": lease.expires_at.isoformat(), "test": lease.test,
            "callEndedAt": lease.call_ended_at.isoformat() if lease.call_ended_at else None},
        "quarantinedUntil": (since + policy.quarantine).isoformat()
        if since is not None and lease is None and since + policy.quarantine > now else None,
    }


def list_pool(deps: Ports, policy: LeasePolicy) -> dict[str, Any]:
    numbers = sorted(deps.pool.list_all(), key=lambda n: (n.region, n.number))
    now = deps.clock.now()
    regions = sorted({n.region for n in numbers})
    return {
        "numbers": [number_view(n, deps, policy) for n in numbers],
        "regions": {r: count_states([n for n in numbers if n.region == r], now, policy.quarantine) for r in regions},
    }


def put_pool(wanted: list[str], deps: Ports, policy: LeasePolicy) -> dict[str, Any]:
    """Make the active pool exactly `wanted`: add new numbers, un-retire, retire the rest (leases keep running)."""
    existing = {n.number: n for n in deps.pool.list_all()}
    for number in wanted:
        current = existing.get(number)
        if current is None:
            _add(number, deps)
        elif current.retired:
            _set_retired(current, False, deps)
    for number, current in existing.items():
        if number not in wanted and not current.retired:
            _set_retired(current, True, deps)
    return list_pool(deps, policy)


def _add(number: str, deps: Ports) -> None:
    try:
        deps.pool.add(PoolNumber(number=number, region=pool_region(number)))
        log.info("callback number %s added to the pool", mask_phone(number))
    except Conflict:
        pass  # added meanwhile by another request: the wanted state holds


def _set_retired(n: PoolNumber, retired: bool, deps: Ports) -> None:
    if not deps.pool.replace(n, replace(n, retired=retired)):
        raise Conflict(f"callback number {mask_phone(n.number)} changed meanwhile; try again")
    log.info("callback number %s %s", mask_phone(n.number), "retired" if retired else "back in service")
