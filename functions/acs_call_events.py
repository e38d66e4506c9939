"""Event Grid trigger: ACS CallEnded, a second source of an emergency call's end; normal calls go to history."""

from __future__ import annotations

import logging

import azure.functions as func

from functions._common import container, parse_event
from functions._settings import settings_are_permanent
from shared import events
from shared.errors import NotFound
from shared.services import ending

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("acs_call_events")
@bp.event_grid_trigger(arg_name="event")
@settings_are_permanent
def acs_call_events(event: func.EventGridEvent) -> None:
    """Malformed or foreign events are logged and acknowledged; storage failures raise so Event Grid retries."""
    c = container()
    cmd = parse_event(event, ("Microsoft.Communication.CallEnded",), lambda e: events.acs_call_ended(
        e.id, e.data, events.event_time(e.time, c.clock.now())))
    if cmd is None:
        return
    try:
        outcome = ending.acs_call_ended(cmd, c, c.policy)
    except NotFound as exc:
        log.warning("CallEnded %s acknowledged without effect: %s", event.id, exc)
        return
    log.info("CallEnded %s: %s", event.id, outcome)
