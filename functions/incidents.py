"""Restricted incident records of emergency calls (admin API only): Admin or Auditor role, read-only."""

from __future__ import annotations

import azure.functions as func

from functions._auth import authorized
from functions._common import JSON_HEADERS, container
from shared import commands
from shared.auth import Access
from shared.errors import NotFound
from shared.services import incident_location, panel

bp = func.Blueprint()


@bp.function_name("manage_incidents")
@bp.route(route="manage/incidents", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_incidents(req: func.HttpRequest) -> func.HttpResponse:
    def run(_: object) -> object:
        calls = sorted(container().calls.list(), key=lambda c: c.dialed_at, reverse=True)
        return {"incidents": [panel.incident_view(c) for c in calls]}
    return authorized(req, Access.INCIDENTS, run)


@bp.function_name("manage_incident")
@bp.route(route="manage/incidents/{emergencyCallId}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_incident(req: func.HttpRequest) -> func.HttpResponse:
    def run(_: object) -> object:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        loaded = container().calls.get(call_id)
        if loaded is None:
            raise NotFound(f"no emergency incident {call_id}")
        return panel.incident_view(loaded[0])
    return authorized(req, Access.INCIDENTS, run)


@bp.function_name("manage_incident_location")
@bp.route(route="manage/incidents/{emergencyCallId}/location.xml", methods=["GET"],
          auth_level=func.AuthLevel.ANONYMOUS)
def manage_incident_location(req: func.HttpRequest) -> func.HttpResponse:
    """The incident's location as a PIDF-LO document (RFC 4119, RFC 5139, RFC 5491), for a security desk or a
    location service to take as it is; 404 for an unknown incident or one without a location."""
    document: list[bytes] = []

    def run(_: object) -> None:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        loaded = container().calls.get(call_id)
        if loaded is None:
            raise NotFound(f"no emergency incident {call_id}")
        document.append(incident_location.pidf_document(loaded[0]))
    answer = authorized(req, Access.INCIDENTS, run)
    if answer.status_code != 200 or not document:
        return answer
    return func.HttpResponse(document[0], status_code=200, mimetype="application/pidf+xml",
                             headers=dict(JSON_HEADERS))
