"""Use case: the agent is about to dial. Classify at once; for an emergency, lease, record and announce.

Nothing here may stop or delay the dial: every missing prerequisite or failing dependency becomes a warning.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.commands import OutboundCall
from shared.domain import numbers
from shared.domain.calls import CALLBACK_FROM_EMERGENCY_SERVICE, Agent, EmergencyCall, panel
from shared.domain.emergency_path import DialPath, PathKind, dial_path, responder_reach
from shared.domain.lease import LeasePolicy
from shared.domain.notification_context import format_utc
from shared.domain.numbers import Classification, mask_phone
from shared.domain.readiness import outbound_number
from shared.domain.routing import CallbackWindow
from shared.ports import Conflict, Ports, StoreError
from shared.services.ending import settle_end
from shared.services.leasing import lease_number

log = logging.getLogger(__name__)

CALL_STARTED = "Emergency.CallStarted"


@dataclass
class Warnings:
    """Warnings for the dialer's answer, each logged for operations as it is added."""

    call_id: str
    items: list[dict[str, str]]

    def add(self, code: str, message: str, detail: object = None) -> None:
        """`detail` (an exception: host names, errno) goes to the log only, never to the caller."""
        log.warning("emergency call %s: %s: %s%s", self.call_id, code, message, f" ({detail!r})" if detail else "")
        self.items.append({"code": code, "message": message})


def place_outbound_call(cmd: OutboundCall, deps: Ports, policy: LeasePolicy) -> dict[str, Any]:
    """Answer the dialer; for an emergency call the answer always says dial, whatever failed."""
    c = numbers.classify(cmd.dialed_number, cmd.country_code)
    if not c.emergency:
        return _normal_call(cmd, deps)
    call_id = cmd.emergency_call_id or str(uuid.uuid4())
    warnings = Warnings(call_id, [])
    if cmd.emergency_call_id and _taken_by_another(call_id, cmd.agent_id, deps):
        call_id = warnings.call_id = str(uuid.uuid4())
        warnings.add("emergency_call_id_taken", "the emergencyCallId sent is another agent's call: this call has "
                     "its own id (use it for call-ids and the end)")
    now = deps.clock.now()
    call = _start_emergency(cmd, c, call_id, now, deps, policy, warnings)
    return {
        "dial": True, "emergency": True, "emergencyCallId": call.call_id, "test": call.test,
        "emergencyNumber": c.number, "countryCode": call.country, "callbackNumber": call.callback_number,
        "callbackNumberSource": call.callback_source,
        "callbackWindowEndsAt": call.callback_until.isoformat() if call.callback_until else None,
        "emergencyPath": call.path, "callerId": call.caller_id, "responderCallback": responder_text(call, "you"),
        "panel": panel(call.test), "warnings": warnings.items,
    }


def responder_text(call: EmergencyCall, agent: str) -> str:
    """How the responder reaches the agent on this call's path, in one sentence."""
    until = format_utc(call.callback_until) if call.callback_until else "the window ends"
    return responder_reach(call.path, call.callback_number, call.callback_source, agent, until)


def _taken_by_another(call_id: str, agent_id: str, deps: Ports) -> bool:
    """A dialer's own id that names another agent's call must not reach that call's number or record."""
    try:
        loaded = deps.calls.get(call_id)
    except StoreError:
        return False  # nothing can be read or written of it either
    return loaded is not None and bool(loaded[0].agent_id) and loaded[0].agent_id != agent_id


def _start_emergency(cmd: OutboundCall, c: Classification, call_id: str, now: datetime, deps: Ports,
                     policy: LeasePolicy, warnings: Warnings) -> EmergencyCall:
    if not c.country_supported:
        warnings.add("country_not_supported", f"location country {cmd.country_code or 'unknown'} is not one where "
                     "ACS places emergency calls (US, PR, CA, DK, GB, AU); the call may be refused")
    agent = _load_agent(cmd.agent_id, deps, warnings)
    path, own_number = _dial_path(c.number or cmd.dialed_number, agent, deps, warnings)
    number, source, until = _callback_number(cmd, c, call_id, agent, path, now, deps, policy, warnings)
    call = EmergencyCall(
        call_id=call_id, agent_id=cmd.agent_id, dialed_number=c.number or cmd.dialed_number, country=c.country,
        test=c.test, dialed_at=now, agent_name=agent.display_name if agent else cmd.agent_id,
        acs_user_id=agent.acs_user_id if agent else None, callback_number=number, callback_source=source,
        callback_until=until, location=cmd.location or (agent.last_location if agent else None),
        path=path.kind.value, caller_id=own_number if path.direct_offer else number, warnings=tuple(warnings.items))
    call, written = _record(call, deps, policy, warnings)
    _open_window(call, deps, policy, warnings)
    if not _announce(call, deps, warnings) and not written:
        warnings.add("not_recorded", "nothing of this emergency call could be recorded or announced (storage and "
                     "event bus unavailable): the backend cannot notify your contacts about it; tell your "
                     "supervisor or security desk yourself")
    log.info("emergency call %s by agent %s: %s%s, path %s (%s), callback %s (%s)", call.call_id, call.agent_id,
             call.dialed_number, " TEST" if call.test else "", call.path, path.reason,
             mask_phone(call.callback_number), call.callback_source)
    return call


def _load_agent(agent_id: str, deps: Ports, warnings: Warnings) -> Agent | None:
    try:
        agent = deps.agents.get(agent_id)
    except StoreError as exc:
        warnings.add("storage_unavailable", "agent profile could not be read", exc)
        return None
    if agent is None:
        warnings.add("unknown_agent", f"agent {agent_id} is not configured: no notification recipients, "
                     "no callback routing to a known identity")
    elif not agent.email_recipients.strip() and not agent.sms_recipients.strip():
        warnings.add("no_recipients", "no emergency notification recipients are configured for this agent")
    return agent


def _dial_path(dialed: str, agent: Agent | None, deps: Ports, warnings: Warnings) -> tuple[DialPath, str | None]:
    """The call's path from the voice setup (recent, cached: no round trip on most dials), and the agent's number."""
    if agent is None:
        return DialPath(PathKind.UNKNOWN, "the agent is not configured"), None
    try:
        config = deps.voice_setup.load()
        own = outbound_number(agent, config)
        return dial_path(own, dialed, config), own
    except Exception as exc:  # storage down, or a record it cannot read: the dial goes on, path unknown
        warnings.add("voice_setup_unavailable", "the voice setup could not be read, so the call's path is unknown: "
                     "the callback number below is presented as on the direct-routing path", exc)
        return DialPath(PathKind.UNKNOWN, "voice setup unreadable"), agent.outbound_number


def _callback_number(cmd: OutboundCall, c: Classification, call_id: str, agent: Agent | None, path: DialPath,
                     now: datetime, deps: Ports, policy: LeasePolicy,
                     warnings: Warnings) -> tuple[str | None, str | None, datetime | None]:
    """(number, source, window end). Direct offer: the emergency service's temporary number reaches the agent's
    identity, so no pool number is needed, unless the admin wants one the agent can read out."""
    offer_window = now + policy.window_for(c.test)
    if path.direct_offer and not policy.lease_on_direct_offer:
        return None, CALLBACK_FROM_EMERGENCY_SERVICE, offer_window
    region = _pool_region(c, agent)
    leased = None
    if agent is None:
        region = None  # only configured agents lease pool numbers (made-up ids would drain the pool)
    elif region is None:
        warnings.add("no_pool_region", "no callback pool serves an unknown country")
    else:
        try:
            leased = lease_number(region, call_id, agent, cmd.agent_id, now, c.test, deps.pool, policy,
                                  (c.number or cmd.dialed_number, c.country))
        except StoreError as exc:
            warnings.add("storage_unavailable", "callback number could not be leased", exc)
    if leased is not None and leased.lease is not None:
        # The window the dialer is told about: at least this long; the lease itself is held while the call is live.
        return leased.number, "pool", leased.lease.leased_at + policy.window_for(c.test)
    if region is not None and leased is None and not any(w["code"] == "storage_unavailable" for w in warnings.items):
        warnings.add("pool_exhausted", f"no free callback number in the pool for +{region}")
    if path.direct_offer:  # the temporary number still reaches the agent; only the read-out number is missing
        return None, CALLBACK_FROM_EMERGENCY_SERVICE, offer_window
    if agent is not None and agent.outbound_number:
        warnings.add("callback_is_agent_number", "the agent's own outbound number is presented for callbacks; "
                     "a callback to it follows normal routing")
        return agent.outbound_number, "agent_outbound", None
    warnings.add("no_callback_number", "no callback number: the network will present the resource's default")
    return None, None, None


def _pool_region(c: Classification, agent: Agent | None) -> str | None:
    """The pool for the browser's country; without one, the agent's last known country, then their own number's."""
    if c.country:
        return numbers.region_for_country(c.country)
    known = numbers.valid_country(str((agent.last_location or {}).get("countryCode") or "")) if agent else None
    if known:
        return numbers.region_for_country(known)
    if agent is not None and agent.outbound_number:
        return numbers.pool_region(agent.outbound_number)
    return None


def _record(call: EmergencyCall, deps: Ports, policy: LeasePolicy,
            warnings: Warnings) -> tuple[EmergencyCall, bool]:
    """Insert the incident, not yet announced (the outbox: the timer publishes what the dial could not); a
    retried request with the same id answers from the existing record, and an end that came first (a tombstone)
    is filled in with this dial's account of the call."""
    try:
        for _ in range(3):
            if deps.calls.create(call):
                return call, True
            loaded = deps.calls.get(call.call_id)
            if loaded is None:
                continue
            existing, version = loaded
            if existing.origin not in ("end", "reported"):
                return existing, True
            filled = replace(existing.filled_from(call, policy.window_for(call.test)), announced=False,
                             origin="dial")
            try:
                deps.calls.save(filled, version)
            except Conflict:
                continue
            settle_end(filled, deps, policy)
            return filled, True
    except StoreError as exc:
        warnings.add("storage_unavailable", "emergency call record not written", exc)
    return call, False


def _open_window(call: EmergencyCall, deps: Ports, policy: LeasePolicy, warnings: Warnings) -> None:
    """Direct offer: ACS routes the responder's callback to the agent's identity; recognise it for the window."""
    if not call.acs_user_id:
        return
    until = policy.live_hold(call.dialed_at) if call.in_progress else call.callback_until or call.dialed_at
    try:
        deps.windows.open(CallbackWindow(call.acs_user_id, call.agent_id, call.call_id, until, call.test))
    except StoreError as exc:
        warnings.add("storage_unavailable", "callback window not opened for the agent's identity", exc)


def announce(call: EmergencyCall, deps: Ports) -> None:
    """Publish Emergency.CallStarted (presence, notification), then mark the record announced. The same event id
    each time, so a repeat (the timer's, after a crash between the two steps) is a duplicate downstream handlers
    drop. The event describes the call, so the contacts are told even if the incident record was not written."""
    data = {"emergencyCallId": call.call_id, "agentId": call.agent_id, "test": call.test,
            "dialedAt": call.dialed_at.isoformat(), "agentName": call.agent_name,
            "dialedNumber": call.dialed_number, "countryCode": call.country,
            "callbackNumber": call.callback_number, "callbackSource": call.callback_source,
            "callbackUntil": call.callback_until.isoformat() if call.callback_until else None,
            "path": call.path, "callerId": call.caller_id,
            "location": call.location, "acsUserId": call.acs_user_id}
    deps.events.publish(CALL_STARTED, f"agents/{call.agent_id}/emergency-calls/{call.call_id}", data,
                        f"{call.call_id}:started")
    deps.calls.mark_announced(call.call_id)


def _announce(call: EmergencyCall, deps: Ports, warnings: Warnings) -> bool:
    """True when CallStarted was published."""
    try:
        announce(call, deps)
    except StoreError as exc:  # published; the record still says pending, so the timer publishes once more
        log.warning("emergency call %s: CallStarted published, not marked as such: %s", call.call_id, exc)
    except Exception as exc:  # the dial goes ahead; the record says pending and the timer publishes it
        warnings.add("event_not_published", "CallStarted not published", exc)
        return False
    return True


def _normal_call(cmd: OutboundCall, deps: Ports) -> dict[str, Any]:
    now = deps.clock.now()
    entry_id = str(uuid.uuid4())
    entry = {"id": entry_id, "direction": "outbound", "number": cmd.dialed_number, "at": now.isoformat(),
             "source": "dialer"}
    warnings = []
    try:
        deps.history.add(cmd.agent_id, entry_id, entry)
    except StoreError as exc:
        log.warning("call history not written for agent %s: %s", cmd.agent_id, exc)
        warnings.append({"code": "history_not_written", "message": "call history not written"})
    return {"dial": True, "emergency": False, "warnings": warnings}
