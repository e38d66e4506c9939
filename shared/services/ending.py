"""Use cases: an emergency call ended (the dialer says so, or ACS's CallEnded does); normal calls go to history.

Either source, once or many times, in any order, has the same effect: the first end signal is recorded, the
callback lease is held until the window after it, and Emergency.CallEnded is published (handlers are idempotent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.domain.calls import EmergencyCall
from shared.domain.lease import LeasePolicy
from shared.errors import NotFound
from shared.ports import Conflict, Ports

log = logging.getLogger(__name__)

CALL_ENDED = "Emergency.CallEnded"
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class AcsCallEnded:
    """The parts of Microsoft.Communication.CallEnded we use."""

    event_id: str
    server_call_id: str | None
    correlation_id: str | None
    started_by: str | None
    ended_at: datetime
    duration_seconds: float | None


def end_emergency_call(call_id: str, source: str, deps: Ports, policy: LeasePolicy,
                       server_call_id: str | None = None, correlation_id: str | None = None) -> EmergencyCall:
    """Record the end (first signal wins), extend the callback lease, announce it. Raises NotFound."""
    if server_call_id or correlation_id:
        deps.calls.link(call_id, server_call_id, correlation_id)
    call = _mark_ended(call_id, source, deps, policy)
    assert call.ended_at is not None
    _extend_lease(call, call.ended_at, deps, policy)
    _extend_window(call, call.ended_at, deps, policy)
    deps.events.publish(CALL_ENDED, f"agents/{call.agent_id}/emergency-calls/{call.call_id}",
                        {"emergencyCallId": call.call_id, "agentId": call.agent_id, "test": call.test,
                         "endedAt": call.ended_at.isoformat(), "source": call.end_source},
                        f"{call.call_id}:ended")
    return call


def link_call_ids(call_id: str, deps: Ports, server_call_id: str | None, correlation_id: str | None) -> None:
    """The dialer reports the ACS ids of the emergency call, so ACS's CallEnded can be recognised."""
    if deps.calls.get(call_id) is None:
        raise NotFound(f"no emergency call {call_id}")
    deps.calls.link(call_id, server_call_id, correlation_id)


def _mark_ended(call_id: str, source: str, deps: Ports, policy: LeasePolicy) -> EmergencyCall:
    for _ in range(MAX_ATTEMPTS):
        loaded = deps.calls.get(call_id)
        if loaded is None:
            raise NotFound(f"no emergency call {call_id}")
        call, version = loaded
        ended = call.ended(deps.clock.now(), source, policy.window)
        if ended is call:
            return call
        try:
            deps.calls.save(ended, version)
            log.info("emergency call %s ended (%s)", call_id, source)
            return ended
        except Conflict:
            continue
    raise Conflict(f"emergency call {call_id} kept changing while being ended")


def _extend_lease(call: EmergencyCall, ended_at: datetime, deps: Ports, policy: LeasePolicy) -> None:
    if call.callback_source != "pool" or not call.callback_number:
        return
    for _ in range(MAX_ATTEMPTS):
        number = deps.pool.get(call.callback_number)
        if number is None or number.lease is None or number.lease.call_id != call.call_id:
            return  # released already, or never ours: nothing to hold
        extended = policy.on_call_end(number.lease, ended_at)
        if extended == number.lease:
            return
        if deps.pool.replace(number, replace(number, lease=extended)):
            return
    log.error("callback lease of %s could not be extended after its end", call.call_id)


def _extend_window(call: EmergencyCall, ended_at: datetime, deps: Ports, policy: LeasePolicy) -> None:
    """The agent's identity stays prioritised for the window after the end, like the callback number."""
    if not call.acs_user_id:
        return
    window = deps.windows.by_identity(call.acs_user_id)
    if window is not None and window.call_id == call.call_id and window.until < ended_at + policy.window:
        deps.windows.open(replace(window, until=ended_at + policy.window))


def acs_call_ended(event: AcsCallEnded, deps: Ports, policy: LeasePolicy) -> str:
    """ACS says a call ended: end the emergency call it belongs to, or record a normal call in history."""
    call_id = deps.calls.find_linked(event.server_call_id, event.correlation_id)
    if call_id is not None:
        end_emergency_call(call_id, "acs", deps, policy)
        return "emergency"
    agent = deps.agents.by_acs_user(event.started_by) if event.started_by else None
    if agent is None:
        return "ignored"
    if deps.presence.get(agent.agent_id)[0].in_emergency:
        # Privacy first: a call we cannot tell apart from a running emergency call never enters history.
        log.info("CallEnded %s withheld from history: agent %s is in an emergency call", event.event_id,
                 agent.agent_id)
        return "withheld"
    entry: dict[str, Any] = {"id": event.correlation_id or event.event_id, "direction": "unknown",
                             "at": event.ended_at.isoformat(), "source": "acs",
                             "durationSeconds": event.duration_seconds}
    deps.history.add(agent.agent_id, entry["id"], entry)
    return "history"

