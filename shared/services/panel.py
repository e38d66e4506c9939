"""Use case: what the agent's communication panel shows — emergency mode, callback number and window, callbacks."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from shared.domain.calls import HIDDEN_CONVERSATION_ACTIONS, PANEL_CONTROLS, EmergencyCall, alert_text
from shared.domain.routing import CallbackWindow, Outcome, in_force
from shared.ports import DeliveryStore, EscalationStore, Ports, StoreError
from shared.services.acknowledge import acknowledgements
from shared.services.outbound import location_summary, responder_text

log = logging.getLogger(__name__)
RING_TIME = timedelta(seconds=30)
# A callback the agent's panel shows ringing: redirected to her, or addressed to her identity already (direct offer).
RINGING_OUTCOMES = (Outcome.REDIRECTED.value, Outcome.RINGING_DIRECT.value)


def emergency_state(agent_id: str, deps: Ports, deliveries: DeliveryStore | None = None) -> dict[str, Any]:
    """Panel state from presence, the agent's callback windows and the incident record (three reads): the call in
    progress, else the window in force (a real call's before a test call's, as the callback routing decides).
    With `deliveries`, during the call and its window, who was notified and who acknowledged (one more read), and
    while nobody has, the escalation step to come (one more: `deps.escalations`, when the container has it)."""
    now = deps.clock.now()
    presence, _ = deps.presence.get(agent_id)
    windows = deps.windows.by_agent(agent_id)
    window = in_force(windows, now)
    if presence.emergency_call_id:
        window = next((w for w in windows if w.call_id == presence.emergency_call_id), window)
    call_id = presence.emergency_call_id or (window.call_id if window else None)
    loaded = deps.calls.get(call_id) if call_id else None
    call = loaded[0] if loaded else None
    in_progress = presence.in_emergency
    test = bool(call.test if call else window.test if window else False)
    window_open = window is not None and window.until > now
    return {
        "agentId": agent_id,
        "emergency": in_progress,
        "emergencyCallId": call_id if (in_progress or window_open) else None,
        "test": test if (in_progress or window_open) else False,
        "controls": list(PANEL_CONTROLS) if in_progress else None,
        "alert": {"severity": "critical", "text": alert_text(test)} if in_progress else None,
        "hideConversationActions": list(HIDDEN_CONVERSATION_ACTIONS) if in_progress else [],
        "callbackNumber": call.callback_number if call and window_open else None,
        "callbackNumberSource": call.callback_source if call and window_open else None,
        "callbackWindowOpen": window_open,
        # While the call lasts the window is held open; what the agent is told is the window after the dial.
        "callbackWindowEndsAt": (call.callback_until if call and call.in_progress and call.callback_until
                                 else window.until).isoformat() if window and window_open else None,
        "callback": _ringing(call, windows, now, deps) if window_open else None,
        # How the responder reaches her on this call's path (emergency_path.responder_reach).
        "emergencyPath": call.path if call and (in_progress or window_open) else None,
        "responderCallback": responder_text(call, "you") if call and (in_progress or window_open) else None,
        # What she reads to the operator during the call (the location in force at the dial, its source and age).
        "location": location_summary(call.location) if call and in_progress else None,
    } | (_acknowledgements(call, deliveries, getattr(deps, "escalations", None))
         if call and deliveries and (in_progress or window_open) else {})


def _acknowledgements(call: EmergencyCall, deliveries: DeliveryStore,
                      escalations: EscalationStore | None) -> dict[str, Any]:
    """Who was notified and who said they are coming (issue 20); nothing when storage cannot say: her emergency
    mode never depends on it."""
    try:
        records = deliveries.list(call.call_id)
    except StoreError as exc:
        log.warning("emergency call %s: acknowledgements not readable for the panel: %s", call.call_id, exc)
        return {}
    sent = [d for d in records if d.channel in ("email", "sms") and d.status == "accepted"]
    acks = acknowledgements(call, records)
    return {"notified": len({d.recipient.casefold() for d in sent}), "acknowledgements": acks} | (
        _next_escalation(call, escalations) if not acks and escalations is not None else {})


def _next_escalation(call: EmergencyCall, escalations: EscalationStore) -> dict[str, Any]:
    """The escalation step still to run, the soonest due ("no one has acknowledged yet — escalating to the security
    desk at 12:05"), or None; nothing when storage cannot say."""
    try:
        steps = escalations.of_call(call.call_id)
    except StoreError as exc:
        log.warning("emergency call %s: escalation steps not readable for the panel: %s", call.call_id, exc)
        return {}
    waiting = sorted((s for s in steps if s.status in ("pending", "running")), key=lambda s: s.due_at)
    if not waiting:
        return {"escalation": None}
    step = waiting[0]
    return {"escalation": {"tier": step.index, "name": step.tier.name, "dueAt": step.due_at.isoformat(),
                           "status": step.status, "audiences": list(step.tier.audiences),
                           "channels": list(step.tier.channels)}}


def _ringing(call: EmergencyCall | None, windows: list[CallbackWindow], now: datetime,
             deps: Ports) -> dict[str, Any] | None:
    """The shown call's latest callback; while it does not ring, one ringing on another open window's number (an
    earlier call's, a drill's beside a real call): it rings her all the same. One more read per other open window,
    only then; a read that fails is left out."""
    shown = _callback(call, now)
    if shown is not None and shown["status"] == "ringing":
        return shown
    for window in windows:
        if window.until <= now or (call is not None and window.call_id == call.call_id):
            continue
        try:
            loaded = deps.calls.get(window.call_id)
        except StoreError as exc:
            log.warning("emergency call %s: not read for the panel's callback: %s", window.call_id, exc)
            continue
        other = _callback(loaded[0], now) if loaded else None
        if other is not None and other["status"] == "ringing":
            return other
    return shown


def _callback(call: EmergencyCall | None, now: datetime) -> dict[str, Any] | None:
    """The responder's latest callback routed to her: ringing for RING_TIME after it came, then routed. `id` names
    the ring (the panel answers it once), `from` the number calling (None when it is no phone number)."""
    routed = [c for c in (call.callbacks if call else ()) if c.get("outcome") in RINGING_OUTCOMES]
    if not routed:
        return None
    last = routed[-1]
    at = datetime.fromisoformat(last["at"])
    caller = str(last.get("from") or "")
    return {"status": "ringing" if now - at < RING_TIME else "routed", "at": last["at"],
            "direct": last.get("outcome") == Outcome.RINGING_DIRECT.value,
            "id": str(last.get("key") or last.get("eventId") or last["at"]),
            "from": caller.removeprefix("4:") if caller.startswith("4:+") else None}


def incident_view(call: EmergencyCall) -> dict[str, Any]:
    """The restricted incident record (admin API only)."""
    return {
        "emergencyCallId": call.call_id, "agentId": call.agent_id, "agentName": call.agent_name,
        "dialedNumber": call.dialed_number, "countryCode": call.country, "test": call.test,
        "dialedAt": call.dialed_at.isoformat(), "endedAt": call.ended_at.isoformat() if call.ended_at else None,
        "endSource": call.end_source, "callbackNumber": call.callback_number,
        "callbackNumberSource": call.callback_source,
        "callbackWindowEndsAt": call.callback_until.isoformat() if call.callback_until else None,
        "emergencyPath": call.path, "callerId": call.caller_id,
        "responderCallback": responder_text(call, call.agent_name or call.agent_id),
        "location": call.location, "warnings": list(call.warnings), "callbacks": list(call.callbacks),
        "presence": list(call.presence_marks), "origin": call.origin, "announced": call.announced,
    }
