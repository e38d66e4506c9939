"""The agent-facing API once more, for a browser signed in as the agent (the agent panel at /api/agent/ui/).

A browser holds no function key, so the function-key routes (`/api/outbound-calls…`, `/api/agents/…`, for dialer
services and agent tools) are out of its reach. The same handlers answer here under `/api/agent/…`, a path App
Service Authentication guards (it is not among the Bicep's anonymousPaths): the principal it hands over is
believed, and each handler lets the signed-in agent act only for herself (functions/_agent.py). Without a sign-in
they answer 401; the panel dials whatever it is answered.
"""

from __future__ import annotations

import azure.functions as func

from functions import agent_page, agent_panel, outbound_call, presence

bp = func.Blueprint()
SIGNED_IN = func.AuthLevel.ANONYMOUS  # at host level; App Service Authentication requires the sign-in


@bp.function_name("signed_in_outbound_call")
@bp.route(route="agent/outbound-calls", methods=["POST"], auth_level=SIGNED_IN)
async def signed_in_outbound_call(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """The panel's dial: on its lane, as the dialer service's (functions/outbound_call.py `on_its_lane`)."""
    return await outbound_call.on_its_lane(req, context, outbound_call.handle_outbound_call)


@bp.function_name("signed_in_outbound_call_pre_dial")
@bp.route(route="agent/outbound-calls/{emergencyCallId}/pre-dial", methods=["POST"], auth_level=SIGNED_IN)
async def signed_in_outbound_call_pre_dial(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return await outbound_call.on_its_lane(req, context, outbound_call.handle_pre_dial, emergency=False)


@bp.function_name("signed_in_outbound_call_ids")
@bp.route(route="agent/outbound-calls/{emergencyCallId}/call-ids", methods=["POST"], auth_level=SIGNED_IN)
def signed_in_outbound_call_ids(req: func.HttpRequest) -> func.HttpResponse:
    return outbound_call.handle_outbound_call_ids(req)


@bp.function_name("signed_in_outbound_call_ended")
@bp.route(route="agent/outbound-calls/{emergencyCallId}/end", methods=["POST"], auth_level=SIGNED_IN)
def signed_in_outbound_call_ended(req: func.HttpRequest) -> func.HttpResponse:
    return outbound_call.handle_outbound_call_ended(req)


@bp.function_name("signed_in_presence")
@bp.route(route="agent/agents/{agentId}/presence", methods=["GET", "PUT"], auth_level=SIGNED_IN)
def signed_in_presence(req: func.HttpRequest) -> func.HttpResponse:
    return presence.handle_agent_presence(req)


@bp.function_name("signed_in_emergency_state")
@bp.route(route="agent/agents/{agentId}/emergency-state", methods=["GET"], auth_level=SIGNED_IN)
def signed_in_emergency_state(req: func.HttpRequest) -> func.HttpResponse:
    return agent_panel.handle_agent_emergency_state(req)


@bp.function_name("signed_in_call_history")
@bp.route(route="agent/agents/{agentId}/call-history", methods=["GET"], auth_level=SIGNED_IN)
def signed_in_call_history(req: func.HttpRequest) -> func.HttpResponse:
    return agent_panel.handle_agent_call_history(req)


@bp.function_name("signed_in_location")
@bp.route(route="agent/agents/{agentId}/location", methods=["PUT"], auth_level=SIGNED_IN)
def signed_in_location(req: func.HttpRequest) -> func.HttpResponse:
    return agent_page.handle_agent_location(req)
