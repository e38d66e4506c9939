"""Authorization of the admin API and page: the signed-in principal (App Service Authentication) and its app role.

Every /api/manage/* function answers through `authorized`: 401 without a principal, 403 without the role, and for a
POST 415 unless the body is declared JSON. A cross-site form can POST (not PUT or DELETE) but cannot declare JSON
without a CORS preflight, so a signed-in admin's browser cannot be made to change settings from another site.
Function keys grant nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from functions._common import JSON_HEADERS, container, handle_http
from shared import auth
from shared.auth import Access, Principal
from shared.errors import AppError, Forbidden, Unauthorized

log = logging.getLogger(__name__)


class UnsupportedMediaType(AppError):
    status = 415


def principal(req: func.HttpRequest) -> Principal | None:
    """The signed-in user, or None; None as well when the headers cannot be trusted (App Service without
    App Service Authentication: anyone could have written them)."""
    problem = auth.headers_trust_problem(container().settings.env)
    if problem is not None:
        log.error("principal headers ignored: %s", problem)
        return None
    return auth.principal_from_headers(req.headers)


def check(req: func.HttpRequest, access: Access) -> Principal:
    """The principal allowed `access`, or Unauthorized / Forbidden / UnsupportedMediaType (logged)."""
    caller = principal(req)
    try:
        who = auth.authorize(caller, access)
    except (Unauthorized, Forbidden) as exc:
        # The user id, not the name (usually an email address, which logs never show).
        log.warning("admin API %s %s refused (%d) for user %s", req.method, _path(req), exc.status,
                    caller.user_id if caller else "<nobody>")
        raise
    if req.method == "POST" and not _declared_json(req):
        raise UnsupportedMediaType("send changes as JSON with the header Content-Type: application/json")
    return who


def authorized(req: func.HttpRequest, access: Access, action: Callable[[Principal], Any],
               status: int = 200) -> func.HttpResponse:
    """Check the caller, then run the use case as that principal; errors become 400/401/403/404/409/415/503."""
    def run() -> Any:
        who = check(req, access)
        with auth.acting_as(who):
            return action(who)
    response = handle_http(run, status)
    return func.HttpResponse(status_code=204, headers=dict(JSON_HEADERS)) if response.status_code == 204 else response


def access_for(req: func.HttpRequest, reading: Access | None = None) -> Access:
    """READ (or `reading`) for GET and HEAD, CHANGE for every other method."""
    if req.method in ("GET", "HEAD"):
        return reading or Access.READ
    return Access.CHANGE


def _declared_json(req: func.HttpRequest) -> bool:
    content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return content_type == "application/json"


def _path(req: func.HttpRequest) -> str:
    return str(req.url).split("?")[0].split("/api/", 1)[-1]
