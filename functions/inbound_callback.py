"""Event Grid trigger: Microsoft.Communication.IncomingCall -> the responder's callback straight to the agent."""

from __future__ import annotations

import logging
from datetime import timedelta

import azure.functions as func

from functions._common import container, parse_event
from shared import events, ports
from shared.services import callbacks

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("inbound_callback")
@bp.event_grid_trigger(arg_name="event")
def inbound_callback(event: func.EventGridEvent) -> None:
    """Malformed, foreign, stale and duplicate events are acknowledged; a failed redirect raises (redelivery)."""
    c = container()
    call = parse_event(event, ("Microsoft.Communication.IncomingCall",),
                       lambda e: events.incoming_call(e.id, e.get_json(), e.event_time, c.clock.now()))
    if call is None:
        return
    s = c.settings
    try:
        max_age = timedelta(seconds=s.incoming_call_max_age_seconds)
        result = callbacks.route_callback(call, c, max_age, s.fallback_target)
    except ports.CallControlError as exc:
        c.telemetry.event("CallbackRouted", outcome="redirect_failed", emergencyCallId="")
        log.error("IncomingCall %s: %s; Event Grid will deliver it again", event.id, exc)
        raise
    log.info("IncomingCall %s: %s", event.id, result.outcome)
    c.telemetry.event("CallbackRouted", outcome=result.outcome, emergencyCallId=str(
        result.decision.call_id if result.decision else ""))
    if result.redirect_ms is not None:
        c.telemetry.duration("callback.event_to_redirect_ms", result.redirect_ms, outcome=result.outcome)
    callbacks.record_callback(call, result, c)
