"""The agent's panel: static assets from agent_ui/ under /api/agent/ui/, who is signed in, and her location.

Served only to a signed-in user with the app role EmergencyCalling.Agent whose agent profile names her (`signInId`):
one agent never sees another's panel, and every API the page calls checks the same (functions/_agent.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import azure.functions as func

from functions._agent import check_agent
from functions._auth import principal
from functions._common import container, handle_http
from functions.admin_page import CONTENT_TYPES, CSP, SECURITY_HEADERS, resolve_asset
from shared import agent_access, auth, commands, ports
from shared.domain import addresses, locales, sites
from shared.errors import AppError, Forbidden, Unauthorized, ValidationError
from shared.services import agent_profile

if TYPE_CHECKING:
    from shared.domain.calls import Agent

bp = func.Blueprint()

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parents[1] / "agent_ui"


def signed_in_agent(req: func.HttpRequest) -> tuple[Agent, str]:
    """The agent profile of the signed-in user and her user name; Unauthorized / Forbidden otherwise."""
    caller = principal(req)
    if caller is None:
        raise Unauthorized("sign in first: the agent panel is for signed-in agents")
    if agent_access.AGENT not in caller.roles:
        raise Forbidden(f"{caller.name} has no agent panel: it needs the app role {agent_access.AGENT}")
    agent_id = container().agents.by_sign_in(caller.user_id)
    agent = container().agents.get(agent_id) if agent_id else None
    if agent is None:
        raise Forbidden(f"no agent profile names {caller.name}: ask an administrator to set your sign-in on it")
    return agent, caller.name


@bp.function_name("agent_ui")
@bp.route(route="agent/ui/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def agent_ui(req: func.HttpRequest) -> func.HttpResponse:
    """The panel for the signed-in agent; 401/403 as a short page that says what is missing."""
    try:
        signed_in_agent(req)
    except AppError as exc:
        return _refusal(exc)
    except ports.StoreError as exc:  # her role is known, her profile unreadable: the page (and its dialer) still loads
        log.error("agent panel served without reading the profile (storage unavailable): %s", exc)
    found = resolve_asset(req.route_params.get("path") or "", ASSETS)
    if found is None:
        return func.HttpResponse("not found", status_code=404, mimetype="text/plain", headers=SECURITY_HEADERS)
    headers = dict(SECURITY_HEADERS) | {"Content-Type": CONTENT_TYPES[found.suffix]}
    if found.suffix == ".html":
        headers["Content-Security-Policy"] = CSP
    return func.HttpResponse(found.read_bytes(), status_code=200, headers=headers)


@bp.function_name("agent_me")
@bp.route(route="agent/me", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def agent_me(req: func.HttpRequest) -> func.HttpResponse:
    """Who the panel is for: her agent id, name, the location kept on her profile, and her locale (the profile's,
    else her country's: shared/domain/locales.py)."""
    def run() -> object:
        agent, user = signed_in_agent(req)
        return {"agentId": agent.agent_id, "displayName": agent.display_name, "user": user,
                "location": agent.last_location, "locale": locales.agent_locale(agent)}
    return handle_http(run)


@bp.function_name("agent_location")
@bp.route(route="agents/{agentId}/location", methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
def agent_location(req: func.HttpRequest) -> func.HttpResponse:
    return handle_agent_location(req)


def handle_agent_location(req: func.HttpRequest) -> func.HttpResponse:
    """She confirms her dispatchable location (street address, floor, room) and the browser's country."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        location = commands.agent_location(commands.parse_json_object(req.get_body()))
        # Where she confirmed from (the network, not her address): a call from another network counts it
        # unconfirmed.
        seen = sites.client_ip(req.headers, auth.headers_trusted(os.environ))
        extra: dict[str, object] = {"fromNetwork": sites.network_of(seen)}
        if location.site_id is not None:  # her site's civic address with her floor and room: what she reads out
            site = container().sites.get_site(location.site_id)
            if site is None:
                raise ValidationError("siteId", "is not a site of the contact center (GET …/location-suggestion)")
            place = sites.Place(floor=location.floor, wing=location.wing, room=location.room)
            extra |= {"civic": site.address_at(place).as_json(), "siteName": site.name}
            if location.latitude is None and site.latitude is not None:  # the building's point: a map link
                extra |= {"latitude": site.latitude, "longitude": site.longitude}
        elif location.enabled:  # off every site: the street address she typed, validated as a site's is
            typed = addresses.validate_typed(location.country_code, location.address, location.city, location.state,
                                             location.postal_code)
            wing = f"{location.wing} wing" if location.wing and "wing" not in location.wing.lower() else location.wing
            extra["civic"] = typed.with_place(floor=location.floor, room=location.room, loc=wing).as_json()
        return {"agentId": agent_id,
                "location": agent_profile.save_location(agent_id, location, container(), extra)}
    return handle_http(run)


def _refusal(exc: AppError) -> func.HttpResponse:
    title = "Sign in required" if exc.status == 401 else "Not allowed"
    hint = ('<p><a href="/.auth/login/aad?post_login_redirect_uri=/api/agent/ui/">Sign in</a></p>'
            if exc.status == 401 else "<p>The agent panel is for agents whose profile names their sign-in. Ask an "
            f"administrator for the app role {agent_access.AGENT} and to set your sign-in on your agent profile.</p>")
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
            f"<main><h1>{title}</h1>{hint}</main></html>")
    return func.HttpResponse(body, status_code=exc.status, headers=SECURITY_HEADERS | {
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP})
