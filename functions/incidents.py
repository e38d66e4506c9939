"""Restricted incident records of emergency calls (admin API only): Admin or Auditor role, read-only. The list
filters and shows each row's status; the export (CSV or JSON, metadata only) is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import azure.functions as func

from functions._auth import authorized
from functions._common import JSON_HEADERS, container
from shared import commands
from shared.auth import Access, Principal
from shared.errors import NotFound
from shared.services import incident_evidence, incident_filters, incident_location, panel

if TYPE_CHECKING:
    from shared.ports import IncidentQueries

bp = func.Blueprint()


def queries(c: Any) -> IncidentQueries:
    """The container's incident queries (a test or the local host may install its own), else the tables'."""
    installed = getattr(c, "incident_queries", None)
    if installed is not None:
        return installed  # type: ignore[no-any-return]
    from shared.adapters.table_incidents import TableIncidentQueries

    return TableIncidentQueries(c.tables, c.concurrency)


@bp.function_name("manage_incidents")
@bp.route(route="manage/incidents", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_incidents(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first, filtered by ?kind= &from= &to= &site= &agent= &outcome= (400 naming a bad one); each row with
    its status at a glance; at most incident_evidence.LIST_LIMIT rows (`truncated` says when there are more)."""
    def run(_: object) -> object:
        f = incident_filters.parse_filters(req.params)
        return incident_evidence.list_incidents(f, queries(container()))
    return authorized(req, Access.INCIDENTS, run)


@bp.function_name("manage_incidents_export")
@bp.route(route="manage/incidents/export", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_incidents_export(req: func.HttpRequest) -> func.HttpResponse:
    """?format=csv|json and the list's filters: the matching incidents as a download (metadata only), audited;
    413 over incident_evidence.EXPORT_LIMIT rows."""
    answer: list[tuple[str, str]] = []

    def run(who: Principal) -> None:
        f = incident_filters.parse_filters(req.params)
        fmt = (req.params.get("format") or "csv").strip().lower()
        c = container()
        answer.append(incident_evidence.export(f, fmt, queries(c), c, who))
    response = authorized(req, Access.INCIDENTS, run)
    if response.status_code != 200 or not answer:
        return response
    content_type, body = answer[0]
    name = f"incidents.{'csv' if content_type.startswith('text/csv') else 'json'}"
    return func.HttpResponse(body.encode(), status_code=200, headers=dict(JSON_HEADERS) | {
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"'})


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
