"""HTTP triggers for the agent's panel: emergency mode state and the (emergency-free) call history."""

from __future__ import annotations

from contextlib import suppress

import azure.functions as func

from functions._agent import check_agent
from functions._common import container, handle_http
from shared import commands
from shared.services import panel

bp = func.Blueprint()


@bp.function_name("agent_emergency_state")
@bp.route(route="agents/{agentId}/emergency-state", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def agent_emergency_state(req: func.HttpRequest) -> func.HttpResponse:
    return handle_agent_emergency_state(req)


def handle_agent_emergency_state(req: func.HttpRequest) -> func.HttpResponse:
    """The panel's state, with the server's now (X-Server-Now, RFC 3339): the panel counts down on it."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        c = container()
        return panel.emergency_state(agent_id, c, c.deliveries)
    response = handle_http(run)
    with suppress(Exception):  # no container to ask: the answer already says what failed
        response.headers["X-Server-Now"] = container().clock.now().isoformat(timespec="milliseconds")
    return response


@bp.function_name("agent_call_history")
@bp.route(route="agents/{agentId}/call-history", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def agent_call_history(req: func.HttpRequest) -> func.HttpResponse:
    return handle_agent_call_history(req)


def handle_agent_call_history(req: func.HttpRequest) -> func.HttpResponse:
    """Normal calls only: emergency calls and callbacks are never written here, whichever path reports them."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        return {"agentId": agent_id, "calls": container().history.list(agent_id)}
    return handle_http(run)
