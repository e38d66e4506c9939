"""Use cases: readiness of every agent (with counts per status) and of one agent. Read-only."""

from __future__ import annotations

from typing import Any

from shared.domain.lease import LeasePolicy
from shared.domain.readiness import AgentReadiness, assess, counts
from shared.errors import NotFound
from shared.ports import AdminPorts


def all_readiness(deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    """One read of agents, voice setup and pool; every agent assessed against the same snapshot."""
    now = deps.clock.now()
    config, pool = deps.voice_config.load(), deps.pool.list_all()
    results = [assess(a, config, pool, now, policy.quarantine, policy.lease_on_direct_offer)
               for a in sorted(deps.agents.list(), key=lambda a: a.agent_id)]
    return {"checkedAt": now.isoformat(), "counts": counts(results), "agents": [readiness_view(r) for r in results]}


def agent_readiness(agent_id: str, deps: AdminPorts, policy: LeasePolicy) -> dict[str, Any]:
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    now = deps.clock.now()
    result = assess(agent, deps.voice_config.load(), deps.pool.list_all(), now, policy.quarantine,
                    policy.lease_on_direct_offer)
    return {"checkedAt": now.isoformat()} | readiness_view(result)


def readiness_view(r: AgentReadiness) -> dict[str, Any]:
    path = r.path
    return {
        "agentId": r.agent.agent_id, "displayName": r.agent.display_name, "status": r.status.value,
        "outboundNumber": r.outbound_number,
        "checks": [{"id": c.check_id, "title": c.title, "status": c.status.value, "reason": c.reason, "fix": c.fix}
                   for c in r.checks],
        "path": {"kind": path.kind.value, "status": path.status.value, "explanation": path.explanation,
                 "number": path.number, "numberType": path.number_type.value if path.number_type else None,
                 "country": path.country,
                 "legs": [{"emergencyNumber": leg.emergency_number, "kind": leg.kind.value,
                           "rule": leg.rule.name if leg.rule else None,
                           "trunks": list(leg.rule.trunks) if leg.rule else []} for leg in path.legs]},
    }
