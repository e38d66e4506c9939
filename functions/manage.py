"""Admin API for agents and the callback-number pool, under /api/manage/.

The Functions host refuses routes and function names that start with "admin" (its own /admin API), so the
admin API lives under "manage/" and its functions are named manage_*.
"""

from __future__ import annotations

import azure.functions as func

from functions._common import container, handle_http
from shared import commands
from shared.services import admin

bp = func.Blueprint()


@bp.function_name("manage_agent")
@bp.route(route="manage/agents/{agentId}", methods=["GET", "PUT"], auth_level=func.AuthLevel.FUNCTION)
def manage_agent(req: func.HttpRequest) -> func.HttpResponse:
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        if req.method == "PUT":
            agent = commands.agent(agent_id, commands.parse_json_object(req.get_body()))
            return admin.put_agent(agent, container())
        return admin.get_agent(agent_id, container())
    return handle_http(run)


@bp.function_name("manage_agents")
@bp.route(route="manage/agents", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def manage_agents(req: func.HttpRequest) -> func.HttpResponse:
    return handle_http(lambda: {"agents": [admin.agent_view(a) for a in container().agents.list()]})


@bp.function_name("manage_callback_numbers")
@bp.route(route="manage/callback-numbers", methods=["GET", "PUT"], auth_level=func.AuthLevel.FUNCTION)
def manage_callback_numbers(req: func.HttpRequest) -> func.HttpResponse:
    """PUT makes the active pool exactly the given numbers; live leases keep running on retired numbers."""
    def run() -> object:
        c = container()
        if req.method == "PUT":
            return admin.put_pool(commands.pool_numbers(commands.parse_json_object(req.get_body())), c, c.policy)
        return admin.list_pool(c, c.policy)
    return handle_http(run)
