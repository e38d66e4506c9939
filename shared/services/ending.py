"""Use cases: an emergency call ended (the dialer says so, or ACS's CallEnded does); normal calls go to history.

Either source, once or many times, in any order, before or after the call-ids, for a call whose incident was
never written, has the same effect: the first end signal is recorded (as a tombstone when the call is not known
yet, which a later CallStarted fills in), the callback lease and window are settled from that first end, and
Emergency.CallEnded is published (handlers are idempotent). Every step can be repeated after a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.domain.calls import Agent, EmergencyCall, tombstone
from shared.domain.lease import LeasePolicy
from shared.domain.routing import CallbackWindow
from shared.ports import Conflict, Ports

log = logging.getLogger(__name__)

CALL_ENDED = "Emergency.CallEnded"
MAX_ATTEMPTS = 5
# ACS's and the dialer's clocks differ a little: a call that started this soon after an emergency call's end may
# still be that call.
OVERLAP_SLACK = timedelta(minutes=1)


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
                       server_call_id: str | None = None, correlation_id: str | None = None,
                       at: datetime | None = None, agent_id: str | None = None,
                       dialed: tuple[str, str | None] | None = None) -> EmergencyCall:
    """Record the end (first signal wins), settle the callback lease and window, announce it. Idempotent.
    `dialed` is what the dialer says it dialed (number, country): used only when nothing is known of the call."""
    if server_call_id or correlation_id:
        deps.calls.link(call_id, server_call_id, correlation_id)
    call = _mark_ended(call_id, source, at or deps.clock.now(), agent_id, _reported(dialed), deps, policy)
    settle_end(call, deps, policy)
    if call.agent_id:  # a tombstone without an agent: nobody's presence is held for it yet
        assert call.ended_at is not None
        try:
            deps.events.publish(CALL_ENDED, f"agents/{call.agent_id}/emergency-calls/{call.call_id}",
                                {"emergencyCallId": call.call_id, "agentId": call.agent_id, "test": call.test,
                                 "endedAt": call.ended_at.isoformat(), "source": call.end_source},
                                f"{call.call_id}:ended")
        except Exception as exc:  # the end is recorded: the timer lifts DND of every call with a recorded end
            log.error("emergency call %s ended, CallEnded not published (the timer restores presence): %s",
                      call_id, exc)
    return call


def link_call_ids(call_id: str, deps: Ports, policy: LeasePolicy, server_call_id: str | None,
                  correlation_id: str | None) -> bool:
    """The dialer reports the ACS ids of the emergency call, so ACS's CallEnded is recognised; an ACS CallEnded
    that came first is applied now. Links even a call not recorded yet (storage was down at the dial). Returns
    whether the call had ended already."""
    deps.calls.link(call_id, server_call_id, correlation_id)
    ended_at = deps.calls.remembered_end(server_call_id, correlation_id)
    if ended_at is None:
        return False
    log.info("emergency call %s: ACS reported its end before its call-ids; ending it now", call_id)
    end_emergency_call(call_id, "acs", deps, policy, at=ended_at)
    return True


def reconcile_started(call_id: str, described: EmergencyCall | None, deps: Ports,
                      policy: LeasePolicy) -> EmergencyCall | None:
    """The incident as CallStarted finds it: rebuilt from the event when the dial could not write it, a tombstone
    filled in (and its lease settled) when the end came first. None without a record or a description."""
    for _ in range(MAX_ATTEMPTS):
        loaded = deps.calls.get(call_id)
        if loaded is None:
            if described is None:
                return None
            rebuilt = replace(described, announced=True, origin="event")
            if deps.calls.create(rebuilt):
                log.warning("emergency call %s: incident rebuilt from CallStarted (the dial could not write it, or "
                            "not yet)", call_id)
                return rebuilt
            continue
        record, version = loaded
        if described is None or record.origin not in ("end", "reported", "lease"):
            return record
        filled = _completed(record, described) if record.origin == "lease" else \
            record.filled_from(described, policy)
        if filled == record:
            return record
        try:
            deps.calls.save(filled, version)
        except Conflict:
            continue
        settle_end(filled, deps, policy)
        return filled
    raise Conflict(f"emergency call {call_id} kept changing while its start was recorded")


def _completed(rebuilt: EmergencyCall, described: EmergencyCall) -> EmergencyCall:
    """A record the timer rebuilt from a lease, completed with what only the dial knew (location, name)."""
    if rebuilt.location is not None or described.location is None:
        return rebuilt  # the timer's own announcement of it, or nothing more to learn
    return replace(rebuilt, location=described.location, agent_name=described.agent_name or rebuilt.agent_name,
                   acs_user_id=rebuilt.acs_user_id or described.acs_user_id, origin="event")


def settle_end(call: EmergencyCall, deps: Ports, policy: LeasePolicy) -> None:
    """Hold the callback number and the agent's identity window for the window after the first end."""
    if call.ended_at is None or not call.described:
        return
    _settle_lease(call, call.ended_at, deps, policy)
    settle_window(call, call.ended_at, deps, policy)


def _reported(dialed: tuple[str, str | None] | None) -> tuple[str, str | None, bool] | None:
    """What the dialer reports, if it is an emergency number (classified like a dial)."""
    if dialed is None:
        return None
    from shared.domain import numbers

    c = numbers.classify(*dialed)
    return (c.number or dialed[0], c.country, c.test) if c.emergency else None


def _mark_ended(call_id: str, source: str, at: datetime, agent_id: str | None,
                reported: tuple[str, str | None, bool] | None, deps: Ports, policy: LeasePolicy) -> EmergencyCall:
    for _ in range(MAX_ATTEMPTS):
        loaded = deps.calls.get(call_id)
        if loaded is None:
            mark = tombstone(call_id, agent_id or "", at, source, reported)
            if deps.calls.create(mark):
                log.warning("emergency call %s ended (%s) before anything was recorded of it", call_id, source)
                return mark
            continue
        call, version = loaded
        ended = call.ended(at, source, policy)
        if ended is call:
            return call
        try:
            deps.calls.save(ended, version)
            log.info("emergency call %s ended (%s)", call_id, source)
            return ended
        except Conflict:
            continue
    raise Conflict(f"emergency call {call_id} kept changing while being ended")


def _settle_lease(call: EmergencyCall, ended_at: datetime, deps: Ports, policy: LeasePolicy) -> None:
    if call.callback_source == "pool" and call.callback_number:
        settle_lease(call.call_id, call.callback_number, ended_at, deps, policy)


def settle_lease(call_id: str, number_id: str, ended_at: datetime, deps: Ports, policy: LeasePolicy) -> None:
    """Hold `number_id` for the window after the end of `call_id`, if that call still holds it."""
    for _ in range(MAX_ATTEMPTS):
        number = deps.pool.get(number_id)
        if number is None or number.lease is None or number.lease.call_id != call_id:
            return  # released already, or never ours: nothing to hold
        settled = policy.on_call_end(number.lease, ended_at)
        if settled == number.lease or deps.pool.replace(number, replace(number, lease=settled)):
            return
    log.error("callback lease of %s could not be settled after its end", call_id)


def settle_window(call: EmergencyCall, ended_at: datetime, deps: Ports, policy: LeasePolicy) -> None:
    """The agent's identity stays prioritised for the window after the end, like the callback number."""
    if not call.acs_user_id:
        return
    until = policy.window_until(call.dialed_at, ended_at, call.test)
    window = deps.windows.of_call(call.acs_user_id, call.call_id)
    if window is not None and window.until != until:
        deps.windows.open(replace(window, until=until))


def ensure_window(call_id: str, deps: Ports, policy: LeasePolicy,
                  loaded: tuple[EmergencyCall, str] | None = None) -> None:
    """CallStarted's share of the window: the dial opens it, unless it died first or could not read the agent
    (storage down: the record then lacks her identity, which her profile gives now and the record keeps, so the
    end settles the window as it does any other). Her other calls' windows are theirs. `loaded`: the record (and
    its version) as the caller has just read it."""
    call = _with_identity(call_id, deps, loaded)
    if call is None or not call.acs_user_id:
        return
    until = policy.window_until(call.dialed_at, call.ended_at, call.test)
    if deps.windows.of_call(call.acs_user_id, call.call_id) is not None:
        return
    log.warning("emergency call %s: callback window for the agent's identity opened by CallStarted (the dial did "
                "not open it, or not yet)", call.call_id)
    deps.windows.open(CallbackWindow(call.acs_user_id, call.agent_id, call.call_id, until, call.test))


def _with_identity(call_id: str, deps: Ports, loaded: tuple[EmergencyCall, str] | None) -> EmergencyCall | None:
    """The call's record, given the agent's ACS identity from her profile when it has none."""
    for attempt in range(MAX_ATTEMPTS):
        if attempt or loaded is None:
            loaded = deps.calls.get(call_id)
        if loaded is None or not loaded[0].described:
            return None
        call, version = loaded
        if call.acs_user_id:
            return call
        agent = deps.agents.get(call.agent_id)
        if agent is None or not agent.acs_user_id:
            return call
        known = replace(call, acs_user_id=agent.acs_user_id)
        try:
            deps.calls.save(known, version)
        except Conflict:
            continue
        return known
    raise Conflict(f"emergency call {call_id} kept changing while its agent's identity was recorded")


def acs_call_ended(event: AcsCallEnded, deps: Ports, policy: LeasePolicy) -> str:
    """ACS says a call ended: end the emergency call it belongs to, or record a normal call in history."""
    call_id = deps.calls.find_linked(event.server_call_id, event.correlation_id)
    if call_id is not None:
        end_emergency_call(call_id, "acs", deps, policy, at=event.ended_at)
        return "emergency"
    agent = deps.agents.by_acs_user(event.started_by) if event.started_by else None
    if agent is None:
        return "ignored"
    if _may_be_emergency(agent, event, deps):
        # Privacy first: a call we cannot tell apart from a running emergency call never enters history. It is
        # kept instead, in case it is that call and its call-ids are still on their way.
        deps.calls.remember_end(event.server_call_id, event.correlation_id, event.ended_at)
        call_id = deps.calls.find_linked(event.server_call_id, event.correlation_id)
        if call_id is not None:  # linked meanwhile
            end_emergency_call(call_id, "acs", deps, policy, at=event.ended_at)
            return "emergency"
        log.info("CallEnded %s withheld from history: agent %s may be in an emergency call", event.event_id,
                 agent.agent_id)
        return "withheld"
    entry: dict[str, Any] = {"id": event.correlation_id or event.event_id, "direction": "unknown",
                             "at": event.ended_at.isoformat(), "source": "acs",
                             "durationSeconds": event.duration_seconds}
    deps.history.add(agent.agent_id, entry["id"], entry)
    return "history"


def _may_be_emergency(agent: Agent, event: AcsCallEnded, deps: Ports) -> bool:
    """The agent is held in emergency DND, or the call that ended overlapped her latest emergency call (which
    may have ended already, by the dialer, while its call-ids are still on their way)."""
    if deps.presence.get(agent.agent_id)[0].in_emergency:
        return True
    # Her calls whose windows were open when this call ended: the only ones it can have overlapped.
    recent = [w for w in deps.windows.by_agent(agent.agent_id) if w.until > event.ended_at]
    return any(_overlapped(w, event, deps) for w in recent)


def _overlapped(window: CallbackWindow, event: AcsCallEnded, deps: Ports) -> bool:
    loaded = deps.calls.get(window.call_id)
    if loaded is None:  # nothing recorded of it: inside its window, privacy first
        return True
    call = loaded[0]
    if event.ended_at < call.dialed_at or call.ended_at is None:
        return call.ended_at is None and event.ended_at >= call.dialed_at
    started = event.ended_at - timedelta(seconds=event.duration_seconds or 0)
    return started <= call.ended_at + OVERLAP_SLACK
