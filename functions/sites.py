"""Sites (issue 19): the contact center's buildings with their civic addresses and places, and the IP networks that
suggest them; the agent's panel asks which site she connects from.

`GET /api/manage/sites`; `GET/PUT/DELETE /api/manage/sites/{siteId}`; `PUT /api/manage/sites/{siteId}/networks`;
`GET/PUT /api/manage/notification-rules` (who is told of a call, per dialed number);
`GET /api/agents/{agentId}/location-suggestion` (function key) and `/api/agent/agents/{agentId}/location-suggestion`
(signed in).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import azure.functions as func

from functions._agent import check_agent
from functions._auth import access_for, authorized
from functions._common import container, handle_http
from shared import admin_commands, commands
from shared.auth import Access, Principal, headers_trusted
from shared.domain.notify_rules import parse_rules
from shared.errors import ValidationError
from shared.services import notify_rules, sites

bp = func.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS  # the principal's role is checked in the function (functions/_auth.py)


@bp.function_name("manage_sites")
@bp.route(route="manage/sites", methods=["GET"], auth_level=ANONYMOUS)
def manage_sites(req: func.HttpRequest) -> func.HttpResponse:
    return authorized(req, Access.READ, lambda _: sites.list_sites(container()))


@bp.function_name("manage_site")
@bp.route(route="manage/sites/{siteId}", methods=["GET", "PUT", "DELETE"], auth_level=ANONYMOUS)
def manage_site(req: func.HttpRequest) -> func.HttpResponse:
    """PUT creates or replaces the site (its networks stay unless the body has `networks`; with `If-None-Match: *`
    it only creates: 409 when the site exists); DELETE answers 204, 409 while an agent's confirmed location names
    it."""
    def run(who: Principal) -> object:
        site_id = commands.check_id("siteId", req.route_params.get("siteId", ""))
        if req.method == "PUT":
            body = commands.parse_json_object(req.get_body())
            wanted = admin_commands.networks(body) if "networks" in body else None
            site = admin_commands.site(site_id, {k: v for k, v in body.items() if k != "networks"})
            condition = (req.headers.get("if-none-match") or "").strip()
            if condition not in ("", "*"):
                raise ValidationError("If-None-Match", "only * is supported (create the site, never replace one)")
            create_only = condition == "*"
            try:
                return sites.put_site(site, who.actor, container(), wanted, create_only)
            finally:
                container().network_sites.invalidate()
        if req.method == "DELETE":
            try:
                sites.delete_site(site_id, who.actor, container())
            finally:
                container().network_sites.invalidate()
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
        try:
            return sites.put_networks(site_id, wanted, who.actor, container())
        finally:
            container().network_sites.invalidate()  # the dials of this instance see the change at once
    return authorized(req, Access.CHANGE, run)


@bp.function_name("manage_notification_rules")
@bp.route(route="manage/notification-rules", methods=["GET", "PUT"], auth_level=ANONYMOUS)
def manage_notification_rules(req: func.HttpRequest) -> func.HttpResponse:
    """Who is told of an emergency call, per dialed number: `{"rules": {"933": ["agent"], ...}}`; numbers left out
    keep what they had."""
    def run(who: Principal) -> object:
        if req.method == "PUT":
            changed = parse_rules(commands.parse_json_object(req.get_body()))
            return notify_rules.put_rules(changed, who.actor, container())
        return notify_rules.get_rules(container())
    return authorized(req, access_for(req), run)


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
        position = _position(req.params)
        container().network_sites.warm()  # her panel is open: a dial may follow
        return sites.suggest_location(agent_id, req.headers, headers_trusted(os.environ), container(), position)
    return handle_http(run)


def _position(params: Mapping[str, str]) -> sites.Position | None:
    """`?latitude=&longitude=&accuracy=` (the browser's position, accuracy in meters), all or none."""
    names = ("latitude", "longitude", "accuracy")
    given = {n: str(params.get(n)) for n in names if params.get(n) not in (None, "")}
    if not given:
        return None
    numbers: dict[str, Any] = {}
    for name in names:
        try:
            numbers[name] = float(given[name]) if name in given else None
        except ValueError:
            raise ValidationError(name, "must be a number") from None
    latitude, longitude = commands.coordinates(numbers)
    accuracy = commands.bounded(numbers, "accuracy", 0, 100_000)
    if latitude is None or longitude is None or accuracy is None:
        raise ValidationError("accuracy" if latitude is not None else "latitude",
                              "latitude, longitude and accuracy come together")
    return latitude, longitude, accuracy
