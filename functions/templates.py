"""Admin API of the "Emergency call notification" template, under /api/manage/ (the host reserves "admin").

Anonymous at the host level: the signed-in principal's app role is the gate (functions._auth), as for every
/api/manage/* function. Admins change the template; auditors and admins read and preview it.
"""

from __future__ import annotations

import azure.functions as func

from functions._auth import authorized
from functions._common import container
from shared import commands
from shared.auth import Access
from shared.errors import ValidationError
from shared.services import templates

bp = func.Blueprint()

BASE = "manage/templates/emergency-call-notification"


@bp.function_name("manage_notification_template")
@bp.route(route=BASE, methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_notification_template(req: func.HttpRequest) -> func.HttpResponse:
    """GET the current template; PUT {"subject","html","text"} saves a new version (400 says where it is wrong)."""
    if req.method == "PUT":
        return authorized(req, Access.CHANGE, lambda who: templates.save_template(
            commands.parse_template_object(req.get_body()), templates.author_name(who.name), container()))
    return authorized(req, Access.READ, lambda who: templates.get_template(container()))


@bp.function_name("manage_notification_template_preview")
@bp.route(route=f"{BASE}/preview", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_notification_template_preview(req: func.HttpRequest) -> func.HttpResponse:
    """Render the posted template (or, with no body, the current one) with sample data, and what each channel would
    carry with each country's longest sample; nothing is saved. The SMS asks for a reply, as sent, when the app has a
    public address for acknowledgements."""
    def run(_: object) -> object:
        body = commands.parse_template_object(req.get_body()) if req.get_body().strip() else None
        c = container()
        return templates.preview(body, c, reply=c.settings.public_base_url is not None)
    return authorized(req, Access.READ, run)


@bp.function_name("manage_notification_template_versions")
@bp.route(route=f"{BASE}/versions", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_notification_template_versions(req: func.HttpRequest) -> func.HttpResponse:
    """Every saved version, newest first: number, author, time, and the version it restored."""
    return authorized(req, Access.READ, lambda who: templates.list_versions(container()))


@bp.function_name("manage_notification_template_restore")
@bp.route(route=f"{BASE}/versions/{{version}}/restore", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_notification_template_restore(req: func.HttpRequest) -> func.HttpResponse:
    """Save version N's content as a new version; 404 when N does not exist."""
    return authorized(req, Access.CHANGE, lambda who: templates.restore(
        _version(req.route_params.get("version", "")), templates.author_name(who.name), container()))


def _version(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 10**9:
        raise ValidationError("version", "must be a positive whole number")
    return int(raw)
