"""Admin API for agents and the callback-number pool, under /api/manage/.

The Functions host refuses routes and function names that start with "admin" (its own /admin API), so the
admin API lives under "manage/" and its functions are named manage_*. Authorization is the signed-in user's app role
(functions/_auth.py), not a function key: the admin page calls these from the browser.
"""

from __future__ import annotations

import azure.functions as func

from functions._auth import access_for, authorized
from functions._common import container
from shared import admin_commands, commands
from shared.auth import Access, Principal
from shared.services import admin, readiness

bp = func.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS  # the principal's role is checked in the function (see functions/_auth.py)


@bp.function_name("manage_agent")
@bp.route(route="manage/agents/{agentId}", methods=["GET", "PUT"], auth_level=ANONYMOUS)
def manage_agent(req: func.HttpRequest) -> func.HttpResponse:
    def run(who: Principal) -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        if req.method == "PUT":
            agent = commands.agent(agent_id, commands.parse_json_object(req.get_body()))
            return admin.put_agent(agent, who.actor, container())
        return admin.get_agent(agent_id, container())
    return authorized(req, access_for(req), run)


@bp.function_name("manage_agents")
@bp.route(route="manage/agents", methods=["GET"], auth_level=ANONYMOUS)
def manage_agents(req: func.HttpRequest) -> func.HttpResponse:
    return authorized(req, Access.READ,
                      lambda _: {"agents": [admin.agent_view(a) for a in container().agents.list()]})


@bp.function_name("manage_callback_numbers")
@bp.route(route="manage/callback-numbers", methods=["GET", "PUT", "POST"], auth_level=ANONYMOUS)
def manage_callback_numbers(req: func.HttpRequest) -> func.HttpResponse:
    """GET the pool; POST {"number"} adds one number (201; 409 when it is in the pool, retired included); PUT
    {"numbers"} makes the active pool exactly those numbers (409 for a retired one, or when the numbers it retires
    leave an agent without the callback number her readiness relies on). Live leases keep running on retired
    numbers."""
    def run(who: Principal) -> object:
        c = container()
        if req.method == "PUT":
            wanted = commands.pool_numbers(commands.parse_json_object(req.get_body()))
            return admin.put_pool(wanted, who.actor, c, c.policy)
        if req.method == "POST":
            number = admin_commands.callback_number(commands.parse_json_object(req.get_body()))
            return admin.add_number(number, who.actor, c, c.policy)
        return admin.list_pool(c, c.policy)
    return authorized(req, access_for(req), run, status=201 if req.method == "POST" else 200)


@bp.function_name("manage_callback_number_retire")
@bp.route(route="manage/callback-numbers/{number}/retire", methods=["POST"], auth_level=ANONYMOUS)
def manage_callback_number_retire(req: func.HttpRequest) -> func.HttpResponse:
    """Retire one number: never leased again; a live lease on it runs to its end. Idempotent; 404 if unknown; 409
    when an agent would be left without the callback number her readiness relies on (see .../impact)."""
    def run(who: Principal) -> object:
        c = container()
        number = admin_commands.phone("number", req.route_params.get("number", ""))
        return admin.retire_number(number, who.actor, c, c.policy)
    return authorized(req, Access.CHANGE, run)


@bp.function_name("manage_callback_number_reinstate")
@bp.route(route="manage/callback-numbers/{number}/reinstate", methods=["POST"], auth_level=ANONYMOUS)
def manage_callback_number_reinstate(req: func.HttpRequest) -> func.HttpResponse:
    """Put a retired number back in service, on purpose (audited as "reinstated"); idempotent; 404 if unknown."""
    def run(who: Principal) -> object:
        c = container()
        number = admin_commands.phone("number", req.route_params.get("number", ""))
        return admin.reinstate_number(number, who.actor, c, c.policy)
    return authorized(req, Access.CHANGE, run)


@bp.function_name("manage_callback_number_impact")
@bp.route(route="manage/callback-numbers/{number}/impact", methods=["GET"], auth_level=ANONYMOUS)
def manage_callback_number_impact(req: func.HttpRequest) -> func.HttpResponse:
    """What retiring the number would do, before it is done (read-only): which agents' readiness gets worse,
    whether it is the last free number of its region, and whether the retire would be refused; 404 if unknown."""
    def run(_: Principal) -> object:
        c = container()
        number = admin_commands.phone("number", req.route_params.get("number", ""))
        return readiness.impact_view(admin.retire_impact(number, c, c.policy))
    return authorized(req, Access.READ, run)
