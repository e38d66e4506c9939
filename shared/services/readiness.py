"""Use cases: readiness of every agent (with counts per status) and of one agent, and what a change would do to it.
Read-only."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from shared.domain.calls import Agent
from shared.domain.drills import DEFAULT_MAX_AGE_DAYS, last_passed
from shared.domain.impact import AgentImpact, Impact, compare
from shared.domain.lease import LeasePolicy, PoolNumber
from shared.domain.readiness import AgentReadiness, assess, counts
from shared.domain.routing_hold import WorkerStatus
from shared.domain.sites import Site
from shared.domain.voice_config import VoiceConfig
from shared.errors import NotFound
from shared.ports import AdminPorts, DrillStore, RoutingEngine
from shared.services.sites import site_warnings

# Each agent's worker is one GET to the engine; a few at a time keep a large contact center's page quick
# without a burst at the engine (Job Router's own limits are per resource).
ROUTING_CONCURRENCY = 8


def all_readiness(deps: AdminPorts, policy: LeasePolicy, routing: RoutingEngine | None = None) -> dict[str, Any]:
    """One read of agents, voice setup and pool; every agent assessed against the same snapshot; with `routing`,
    each agent's worker asked of the engine (ROUTING_CONCURRENCY at a time)."""
    now = deps.clock.now()
    config, pool = deps.voice_config.load(), deps.pool.list_all()
    networks: dict[str, list[str]] = {}
    for n in deps.sites.list_networks():
        networks.setdefault(n.site_id, []).append(n.cidr)
    agents = sorted(deps.agents.list(), key=lambda a: a.agent_id)
    workers = worker_statuses(agents, routing)
    sites = _sites(deps)
    drills = _drills(deps)
    results = [assess(a, config, pool, now, policy.quarantine, policy.lease_on_direct_offer, w, sites,
                      _drill_of(drills, a.agent_id)) for a, w in zip(agents, workers, strict=True)]
    return {"checkedAt": now.isoformat(), "counts": counts(results), "agents": [readiness_view(r) for r in results],
            "sites": [{"siteId": s.site_id, "name": s.name, "warnings": site_warnings(s, networks.get(s.site_id, []))}
                      for s in sorted(sites.values(), key=lambda s: s.name)] if sites else []}


def worker_statuses(agents: Sequence[Agent], routing: RoutingEngine | None) -> list[WorkerStatus | None]:
    if routing is None:
        return [None] * len(agents)
    if not routing.configured or len(agents) < 2:
        return [routing.status(a) for a in agents]
    with ThreadPoolExecutor(max_workers=min(ROUTING_CONCURRENCY, len(agents))) as pool:
        return list(pool.map(routing.status, agents))


def agent_readiness(agent_id: str, deps: AdminPorts, policy: LeasePolicy,
                    routing: RoutingEngine | None = None) -> dict[str, Any]:
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    now = deps.clock.now()
    result = assess(agent, deps.voice_config.load(), deps.pool.list_all(), now, policy.quarantine,
                    policy.lease_on_direct_offer, worker_statuses([agent], routing)[0], _sites(deps),
                    _drill_of(_drills(deps, agent_id), agent_id))
    return {"checkedAt": now.isoformat()} | readiness_view(result)


def changed_readiness(deps: AdminPorts, policy: LeasePolicy, config: VoiceConfig | None = None,
                      pool: list[PoolNumber] | None = None) -> tuple[AgentImpact, ...]:
    """The agents whose readiness checks would get worse with `config` or `pool` in place of what is stored: every
    agent assessed twice against one snapshot (the routing engine is left out: no change here moves it, and asking
    it about every agent twice would make the question slow)."""
    now = deps.clock.now()
    stored_config, stored_pool = deps.voice_config.load(), deps.pool.list_all()
    agents = sorted(deps.agents.list(), key=lambda a: a.agent_id)
    sites, drills = _sites(deps), _drills(deps)

    def assessed(c: VoiceConfig, p: list[PoolNumber]) -> list[AgentReadiness]:
        return [assess(a, c, p, now, policy.quarantine, policy.lease_on_direct_offer, None, sites,
                       _drill_of(drills, a.agent_id)) for a in agents]
    return compare(assessed(stored_config, stored_pool),
                   assessed(config or stored_config, stored_pool if pool is None else pool))


def impact_view(impact: Impact) -> dict[str, Any]:
    """The impact answer: who uses the item, each agent whose readiness gets worse (and how), the summary in words,
    and whether the change is allowed (else `refusal`, the 409's message)."""
    refusal = impact.refusal
    return {
        "action": impact.action, "entity": impact.entity, "key": impact.key, "allowed": refusal is None,
        "refusal": refusal, "summary": impact.summary(), "lastFree": impact.last_free,
        "becomeNotReady": sum(1 for a in impact.agents if a.becomes_not_ready),
        "usedBy": [{"kind": u.kind, "id": u.key, "name": u.name, "field": u.field} for u in impact.used_by],
        "agents": [{"agentId": a.agent_id, "displayName": a.name, "before": a.before.value, "after": a.after.value,
                    "checks": [{"id": c.check_id, "title": c.title, "status": c.status.value, "reason": c.reason}
                               for c in a.worse]} for a in impact.agents],
    }


def _drills(deps: AdminPorts, agent_id: str | None = None) -> tuple[dict[str, datetime], timedelta] | None:
    """Each agent's last passed drill and DRILL_MAX_AGE_DAYS; None where the container wires no drill store (the
    readiness ports predate drills: fakes without one leave the check out)."""
    store: DrillStore | None = getattr(deps, "drills", None)
    if store is None:
        return None
    settings = getattr(deps, "settings", None)
    days = settings.drill_max_age_days if settings is not None else DEFAULT_MAX_AGE_DAYS
    return last_passed(store.list(agent_id)), timedelta(days=days)


def _drill_of(drills: tuple[dict[str, datetime], timedelta] | None,
              agent_id: str) -> tuple[datetime | None, timedelta] | None:
    return None if drills is None else (drills[0].get(agent_id), drills[1])


def _sites(deps: AdminPorts) -> dict[str, Site]:
    return {s.site_id: s for s in deps.sites.list_sites()}


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
