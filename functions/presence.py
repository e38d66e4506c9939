"""Presence: DND on Emergency.CallStarted and restore on Emergency.CallEnded; the panel's GET/PUT."""

from __future__ import annotations

import logging

import azure.functions as func

from functions._agent import check_agent
from functions._common import container, handle_http, parse_event
from functions._settings import settings_are_permanent
from shared import commands, events
from shared.adapters import lanes
from shared.domain import presence
from shared.services import presence as service

log = logging.getLogger(__name__)
bp = func.Blueprint()


def view(p: presence.Presence) -> dict[str, object]:
    return {"agentId": p.agent_id, "status": p.status, "emergency": p.in_emergency,
            "emergencyCallId": p.emergency_call_id, "restoresTo": p.previous, "changedAt": p.changed_at}


@bp.function_name("presence_update")
@bp.event_grid_trigger(arg_name="event")
@settings_are_permanent
def presence_update(event: func.EventGridEvent) -> None:
    """Idempotent per emergency call; malformed events are acknowledged, storage failures retried."""
    cmd = parse_event(event, ("Emergency.CallStarted", "Emergency.CallEnded"),
                      lambda e: events.emergency_event(e.type, e.data), source="internal")
    if cmd is None:
        return
    c = container()
    if cmd.event_type == "Emergency.CallStarted":
        with lanes.waits_at_most(lanes.FOLLOW_UP_WAIT):  # DND is part of the emergency: late by a bounded amount
            result = service.on_call_started(cmd.agent_id, cmd.call_id, c, c.policy,
                                             events.call_from_started(cmd.data))
        dialed = cmd.data.get("dialedAt")
        if result.emergency_call_id == cmd.call_id and isinstance(dialed, str):
            try:
                at = events.event_time(dialed, c.clock.now())
            except ValueError:  # only the measurement needs it: DND is applied, the event is acknowledged
                log.warning("CallStarted %s: dialedAt is not a time; DND delay not measured", event.id)
                return
            c.telemetry.duration("emergency.dial_to_dnd_ms", service.dnd_delay_ms(at, c.clock.now()))
    else:
        service.on_call_ended(cmd.agent_id, cmd.call_id, c)


@bp.function_name("agent_presence")
@bp.route(route="agents/{agentId}/presence", methods=["GET", "PUT"], auth_level=func.AuthLevel.FUNCTION)
def agent_presence(req: func.HttpRequest) -> func.HttpResponse:
    return handle_agent_presence(req)


def handle_agent_presence(req: func.HttpRequest) -> func.HttpResponse:
    """GET the agent's presence; PUT their own change (409 during an emergency call)."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        if req.method == "PUT":
            status = commands.presence_status(commands.parse_json_object(req.get_body()))
            return view(service.set_by_agent(agent_id, status, container()))
        return view(container().presence.get(agent_id)[0])
    return handle_http(run)
