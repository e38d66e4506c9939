"""Use cases: the routing engine follows the emergency DND (hold at the start, release at the end), and the timer
finishes what failed or was interrupted.

Crash-safe and ordered: the wanted state is written (routingholds) before the engine is asked, and marked done
after. A release is final: a start that arrives or lands after the end is undone, never left holding. An engine
failure never raises from here (DND is the app's presence and is already saved; a failing presence handler would
make Event Grid slow down every later delivery): it is logged and the timer tries again every minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from shared.domain.calls import Agent
from shared.domain.routing_hold import HOLD, RELEASE, RoutingHold, released, routing_worker_id
from shared.ports import Conflict, Ports

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class RoutingReport:
    held: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def hold_for_call(agent_id: str, call_id: str, deps: Ports) -> bool:
    """The agent's worker takes no offers during this call. Idempotent; False when the engine failed (retried).

    Never raises: the engine, its table, or its setting failing must not fail the presence handler (Event Grid
    would slow every later delivery, other agents' DND among them) nor stop the timer's run."""
    try:
        if not deps.routing.configured:
            return True
        return _hold(agent_id, call_id, deps)
    except Exception as exc:  # RoutingEngineError, StoreError, Conflict, SettingError: the timer retries
        _failed("hold", agent_id, call_id, exc)
        return False


def release_for_call(agent_id: str, call_id: str, deps: Ports) -> bool:
    """The worker returns to what it was before the call. Idempotent; False when the engine failed (retried).
    Never raises, like hold_for_call."""
    try:
        if not deps.routing.configured:
            return True
        _release(agent_id, call_id, deps)
        return True
    except Exception as exc:  # RoutingEngineError, StoreError, Conflict, SettingError: the timer retries
        _failed("release", agent_id, call_id, exc)
        return False


def reconcile(deps: Ports) -> RoutingReport:
    """The timer's safety net: every agent in emergency DND is held, every hold whose call no longer holds her
    presence (ended, restored, or replaced by a later emergency call) is released."""
    report = RoutingReport()
    try:
        _reconcile(deps, report)
    except Exception as exc:  # storage or a setting: the rest of the timer's run goes on; the next run retries
        log.error("routing engine: the timer could not reconcile holds: %s", exc)
    return report


def _reconcile(deps: Ports, report: RoutingReport) -> None:
    if not deps.routing.configured:
        return
    for p in deps.presence.in_emergency():
        if p.emergency_call_id is not None and _pending(deps, p.agent_id, p.emergency_call_id, HOLD):
            (report.held if hold_for_call(p.agent_id, p.emergency_call_id, deps) else report.failed).append(
                p.emergency_call_id)
    for h in deps.routing_holds.unsettled():
        # Read after the hold: DND is written before its hold, so a call still holding DND shows here.
        if h.want == RELEASE or deps.presence.get(h.agent_id)[0].emergency_call_id != h.call_id:
            (report.released if release_for_call(h.agent_id, h.call_id, deps) else report.failed).append(h.call_id)


def _pending(deps: Ports, agent_id: str, call_id: str, want: str) -> bool:
    hold = deps.routing_holds.get(agent_id, call_id)
    return hold is None or (hold.want == want and not hold.done)


def _hold(agent_id: str, call_id: str, deps: Ports) -> bool:
    agent = _agent(agent_id, deps)
    hold = deps.routing_holds.get(agent_id, call_id)
    if hold is None:
        try:
            hold = deps.routing_holds.create(RoutingHold(
                agent_id, call_id, routing_worker_id(agent_id, agent.routing_worker_id), since=deps.clock.now()))
        except Conflict:
            return _hold(agent_id, call_id, deps)  # written meanwhile: decide from it
    if hold.want == RELEASE or hold.done:
        return True  # the end came first (no hold after the end), or held already
    prior = deps.routing.hold(replace(agent, routing_worker_id=hold.worker_id), call_id)
    try:
        deps.routing_holds.replace(replace(hold, done=True, prior=prior))
    except Conflict:  # the end wrote its release while the hold was landing: undo it
        log.info("emergency call %s ended while agent %s's worker was being held: released", call_id, agent_id)
        _release(agent_id, call_id, deps, reopen=True)
        return True
    log.info("routing worker %s of agent %s held for emergency call %s (took offers before: %s)",
             hold.worker_id, agent_id, call_id, prior)
    return True


def _release(agent_id: str, call_id: str, deps: Ports, reopen: bool = False) -> None:
    """`reopen`: a hold may have landed after a completed release; release again."""
    for _ in range(MAX_ATTEMPTS):
        hold = deps.routing_holds.get(agent_id, call_id)
        try:
            if hold is None:
                deps.routing_holds.create(RoutingHold(agent_id, call_id, routing_worker_id(agent_id, None),
                                                      want=RELEASE, done=True, since=deps.clock.now()))
                return  # nothing was ever held: a late start finds the release
            if hold.settled and not reopen:
                return
            if hold.want == HOLD or hold.done:
                hold = deps.routing_holds.replace(released(hold))
            reopen = False
            agent = _agent(agent_id, deps)
            deps.routing.release(replace(agent, routing_worker_id=hold.worker_id), call_id)
            deps.routing_holds.replace(replace(hold, done=True))
        except Conflict:
            continue
        log.info("routing worker %s of agent %s released after emergency call %s", hold.worker_id, agent_id,
                 call_id)
        return
    raise Conflict(f"routing hold of {agent_id} for {call_id} kept changing")


def _agent(agent_id: str, deps: Ports) -> Agent:
    return deps.agents.get(agent_id) or Agent(agent_id, agent_id)


def _failed(action: str, agent_id: str, call_id: str, exc: Exception) -> None:
    log.error("routing engine: %s of agent %s's worker for emergency call %s failed (%s); Do Not Disturb holds in "
              "the app, the timer retries", action, agent_id, call_id, exc)
