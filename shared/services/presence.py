"""Use cases on presence: emergency DND on CallStarted, restore on CallEnded, the agent's own changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from shared.domain import presence as policy
from shared.domain.calls import EmergencyCall
from shared.domain.lease import LeasePolicy
from shared.domain.presence import Presence
from shared.ports import Conflict, Ports
from shared.services.ending import ensure_window, reconcile_started
from shared.services.routing_engine import hold_for_call, release_for_call

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def update(agent_id: str, change: Callable[[Presence], Presence], deps: Ports) -> Presence:
    """Read, decide, write if unchanged since read; retried on a lost race. Idempotent when `change` is."""
    for _ in range(MAX_ATTEMPTS):
        current, version = deps.presence.get(agent_id)
        new = change(current)
        if new == current and version is not None:
            return current
        try:
            deps.presence.save(new, version)
            return new
        except Conflict:
            continue
    raise Conflict(f"presence of {agent_id} kept changing")


def on_call_started(agent_id: str, call_id: str, deps: Ports, lease_policy: LeasePolicy,
                    described: EmergencyCall | None = None) -> Presence:
    """Do Not Disturb for the call, unless its end was already recorded (events arrive in any order). Rebuilds
    the incident from the event when the dial could not write it. An end recorded while DND was being applied
    is seen by the second read, or its CallEnded finds DND already applied: either way DND is lifted."""
    record = reconcile_started(call_id, described, deps, lease_policy)
    if record is not None and record.described and record.agent_id != agent_id:
        log.error("CallStarted for %s names agent %s, its record agent %s: ignored", call_id, agent_id,
                  record.agent_id)
        return deps.presence.get(agent_id)[0]
    if record is not None and not record.in_progress:
        current = deps.presence.get(agent_id)[0]
        if current.emergency_call_id == call_id:
            # An earlier delivery applied DND after the end's CallEnded had found nothing to lift, and died
            # before it read the record again: this one lifts it.
            log.warning("CallStarted for %s after its end finds its DND still applied: lifting it", call_id)
            current = on_call_ended(agent_id, call_id, deps)
        else:
            log.info("CallStarted for %s arrived after its end: presence left as it is", call_id)
        ensure_window(call_id, deps, lease_policy)
        return current
    now = deps.clock.now()
    result = update(agent_id, lambda p: policy.start_emergency(p, call_id, now), deps)
    if result.emergency_call_id == call_id:
        hold_for_call(agent_id, call_id, deps)  # after DND is saved: an engine failure never delays it
        note_presence(call_id, {"what": "dnd", "at": (result.emergency_since or now).isoformat(),
                                "previous": result.previous}, deps)
    again = deps.calls.get(call_id)
    if again is not None and not again[0].in_progress:
        result = on_call_ended(agent_id, call_id, deps)
    else:
        log.info("agent %s presence %s for emergency call %s", agent_id, result.status, call_id)
    if record is not None:
        # Last, after DND: a failure here only makes Event Grid deliver CallStarted again (every step repeats
        # harmlessly), never delays Do Not Disturb.
        ensure_window(call_id, deps, lease_policy, again)
    return result


def on_call_ended(agent_id: str, call_id: str, deps: Ports) -> Presence:
    now = deps.clock.now()
    before: list[Presence] = []
    result = update(agent_id, lambda p: policy.end_emergency(_seen(before, p), call_id, now), deps)
    release_for_call(agent_id, call_id, deps)
    if before and before[-1].emergency_call_id == call_id and result.emergency_call_id != call_id:
        note_presence(call_id, {"what": "restored", "at": (result.changed_at or now).isoformat(),
                                "status": result.status}, deps)
    log.info("agent %s presence %s after emergency call %s", agent_id, result.status, call_id)
    return result


def note_presence(call_id: str, mark: dict[str, str | None], deps: Ports) -> None:
    """Keep the mark on the incident for its timeline, once per kind (a redelivery keeps the first); after the
    presence change, never instead of it: a failure here is logged and changes nothing else."""
    try:
        for _ in range(MAX_ATTEMPTS):
            loaded = deps.calls.get(call_id)
            if loaded is None or any(m.get("what") == mark["what"] for m in loaded[0].presence_marks):
                return
            try:
                deps.calls.save(replace(loaded[0], presence_marks=(*loaded[0].presence_marks, mark)), loaded[1])
                return
            except Conflict:
                continue
    except Exception as exc:  # the evidence is secondary to her presence
        log.warning("emergency call %s: presence change not noted on the incident: %s", call_id, exc)


def _seen(before: list[Presence], current: Presence) -> Presence:
    """Remember the presence each try of `update` read (the last one is what the written change replaced)."""
    before.append(current)
    return current


def set_by_agent(agent_id: str, status: str, deps: Ports) -> Presence:
    """Raises PresenceLocked (409) during an emergency call."""
    now = deps.clock.now()
    return update(agent_id, lambda p: policy.set_by_agent(p, status, now), deps)


def dnd_delay_ms(dialed_at: datetime, now: datetime) -> float:
    return (now - dialed_at).total_seconds() * 1000
