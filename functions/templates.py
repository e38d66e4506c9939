"""Admin API of the "Emergency call notification" template, under /api/manage/ (the host reserves "admin")."""

from __future__ import annotations

import azure.functions as func

from functions._common import container, handle_http
from shared import commands
from shared.errors import ValidationError
from shared.services import templates

bp = func.Blueprint()

BASE = "manage/templates/emergency-call-notification"
PRINCIPAL_NAME = "X-MS-CLIENT-PRINCIPAL-NAME"  # set by App Service Authentication (and the local host)


def _author(req: func.HttpRequest) -> str:
    return templates.author_name(req.headers.get(PRINCIPAL_NAME))


@bp.function_name("manage_notification_template")
@bp.route(route=BASE, methods=["GET", "PUT"], auth_level=func.AuthLevel.FUNCTION)
def manage_notification_template(req: func.HttpRequest) -> func.HttpResponse:
    """GET the current template; PUT {"subject","html","text"} saves a new version (400 says where it is wrong)."""
    def run() -> object:
        if req.method == "PUT":
            return templates.save_template(commands.parse_json_object(req.get_body()), _author(req), container())
        return templates.get_template(container())
    return handle_http(run)


@bp.function_name("manage_notification_template_preview")
@bp.route(route=f"{BASE}/preview", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def manage_notification_template_preview(req: func.HttpRequest) -> func.HttpResponse:
    """Render the posted template (or, with no body, the current one) with sample data; nothing is saved."""
    def run() -> object:
        body = commands.parse_json_object(req.get_body()) if req.get_body().strip() else None
        return templates.preview(body, container())
    return handle_http(run)


@bp.function_name("manage_notification_template_versions")
@bp.route(route=f"{BASE}/versions", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def manage_notification_template_versions(req: func.HttpRequest) -> func.HttpResponse:
    """Every saved version, newest first: number, author, time, and the version it restored."""
    return handle_http(lambda: templates.list_versions(container()))


@bp.function_name("manage_notification_template_restore")
@bp.route(route=f"{BASE}/versions/{{version}}/restore", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def manage_notification_template_restore(req: func.HttpRequest) -> func.HttpResponse:
    """Save version N's content as a new version; 404 when N does not exist."""
    def run() -> object:
        return templates.restore(_version(req.route_params.get("version", "")), _author(req), container())
    return handle_http(run)


def _version(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 10**9:
        raise ValidationError("version", "must be a positive whole number")
    return int(raw)
