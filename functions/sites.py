"""Sites (issue 19): the contact center's buildings with their civic addresses and places, and the IP networks that
suggest them; the agent's panel asks which site she connects from.

`GET /api/manage/sites`; `GET/PUT/DELETE /api/manage/sites/{siteId}`; `PUT /api/manage/sites/{siteId}/networks`;
`GET /api/agents/{agentId}/location-suggestion` (function key) and `/api/agent/agents/{agentId}/location-suggestion`
(signed in).
"""

from __future__ import annotations

import os

import azure.functions as func

from functions._agent import check_agent
from functions._auth import access_for, authorized
from functions._common import container, handle_http
from shared import admin_commands, commands
from shared.auth import Access, Principal, headers_trusted
from shared.services import sites

bp = func.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS  # the principal's role is checked in the function (functions/_auth.py)


@bp.function_name("manage_sites")
@bp.route(route="manage/sites", methods=["GET"], auth_level=ANONYMOUS)
def manage_sites(req: func.HttpRequest) -> func.HttpResponse:
    return authorized(req, Access.READ, lambda _: sites.list_sites(container()))


@bp.function_name("manage_site")
@bp.route(route="manage/sites/{siteId}", methods=["GET", "PUT", "DELETE"], auth_level=ANONYMOUS)
def manage_site(req: func.HttpRequest) -> func.HttpResponse:
    """PUT creates or replaces the site (its networks stay); DELETE answers 204, 409 while an agent's confirmed
    location names it."""
    def run(who: Principal) -> object:
        site_id = commands.check_id("siteId", req.route_params.get("siteId", ""))
        if req.method == "PUT":
            site = admin_commands.site(site_id, commands.parse_json_object(req.get_body()))
            return sites.put_site(site, who.actor, container())
        if req.method == "DELETE":
            sites.delete_site(site_id, who.actor, container())
            return None
        return sites.get_site(site_id, container())
    return authorized(req, access_for(req), run, status=204 if req.method == "DELETE" else 200)


@bp.function_name("manage_site_networks")
@bp.route(route="manage/sites/{siteId}/networks", methods=["PUT"], auth_level=ANONYMOUS)
def manage_site_networks(req: func.HttpRequest) -> func.HttpResponse:
    """The site's networks, exactly these: `{"networks": ["10.1.0.0/16", "2001:db8:1::/48"]}`."""
    def run(who: Principal) -> object:
        site_id = commands.check_id("siteId", req.route_params.get("siteId", ""))
        wanted = admin_commands.networks(commands.parse_json_object(req.get_body()))
        return sites.put_networks(site_id, wanted, who.actor, container())
    return authorized(req, Access.CHANGE, run)


@bp.function_name("location_suggestion")
@bp.route(route="agents/{agentId}/location-suggestion", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def location_suggestion(req: func.HttpRequest) -> func.HttpResponse:
    return handle_location_suggestion(req)


@bp.function_name("signed_in_location_suggestion")
@bp.route(route="agent/agents/{agentId}/location-suggestion", methods=["GET"], auth_level=ANONYMOUS)
def signed_in_location_suggestion(req: func.HttpRequest) -> func.HttpResponse:
    return handle_location_suggestion(req)


def handle_location_suggestion(req: func.HttpRequest) -> func.HttpResponse:
    """The site of the network she connects from, as App Service reports it (X-Forwarded-For, believed only where
    the platform writes it: PRINCIPAL_HEADERS_TRUSTED), and her last confirmed location; for her to confirm."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        return sites.suggest_location(agent_id, req.headers, headers_trusted(os.environ), container())
    return handle_http(run)
