"""Event Grid trigger: Microsoft.Communication.IncomingCall -> the responder's callback straight to the agent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import timedelta
from functools import partial

import azure.functions as func

from functions._common import container, parse_event
from functions._settings import report_setting_problem, settings_are_permanent
from shared import events, ports
from shared.adapters import lanes, threads
from shared.config import SettingError, Settings
from shared.services import callbacks

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("inbound_callback")
@bp.event_grid_trigger(arg_name="event")
async def inbound_callback_on_its_lane(event: func.EventGridEvent, context: func.Context) -> None:
    """Malformed, foreign, stale and duplicate events are acknowledged; a failed redirect raises (redelivery).
    `async`, and run on the app's emergency threads: a ringing callback never waits for one of the worker's threads,
    which notifications and other handlers can fill (shared/adapters/lanes.py)."""
    await asyncio.wrap_future(lanes.on_emergency_threads(partial(inbound_callback, event, context)))


@settings_are_permanent
def inbound_callback(event: func.EventGridEvent, context: func.Context) -> None:
    """The callback's handling, on the thread the lane gives it."""
    with threads.invocation(context):
        threads.as_invocation(partial(_route, event))  # this thread logs under the invocation's id


def _route(event: func.EventGridEvent) -> None:
    c = container()
    call = parse_event(event, ("Microsoft.Communication.IncomingCall",),
                       lambda e: events.incoming_call(e.id, e.data, e.time, c.clock.now()))
    if call is None:
        return
    s = c.settings
    fallback, fallback_error = _fallback_target(s)
    try:
        # A call to a pool number is a responder's callback to redirect within the ring: other work yields to it.
        with lanes.emergency() if call.to_phone else contextlib.nullcontext():
            result = callbacks.route_callback(call, c, timedelta(seconds=s.incoming_call_max_age_seconds), fallback)
    except ports.CallControlError as exc:
        c.telemetry.event("CallbackRouted", outcome="redirect_failed", emergencyCallId="")
        log.error("IncomingCall %s: %s; Event Grid will deliver it again", event.id, exc)
        raise
    if result.outcome == "no_fallback" and fallback_error is not None:
        result = replace(result, setting_error=fallback_error)
    if result.setting_error is not None:
        report_setting_problem("inbound_callback", result.setting_error.name, str(result.setting_error), event.id)
    log.info("IncomingCall %s: %s", event.id, result.outcome)
    c.telemetry.event("CallbackRouted", outcome=result.outcome, emergencyCallId=str(
        result.decision.call_id if result.decision else ""))
    if result.redirect_ms is not None:
        c.telemetry.duration("callback.event_to_redirect_ms", result.redirect_ms, outcome=result.outcome)
    with lanes.other():  # after the redirect has left: bookkeeping, which yields to the dials in flight
        callbacks.record_callback(call, result, c)


def _fallback_target(s: Settings) -> tuple[str | None, SettingError | None]:
    """A malformed CALLBACK_FALLBACK_TARGET spoils only the fallback: callbacks to live leases still go through."""
    try:
        return s.fallback_target, None
    except SettingError as exc:
        return None, exc
