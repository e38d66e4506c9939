"""The audit log of admin changes: who, when, which field of which entity, old -> new (Admin or Auditor)."""

from __future__ import annotations

import azure.functions as func

from functions._auth import authorized
from functions._common import container
from shared import admin_commands
from shared.auth import Access
from shared.services import audit

bp = func.Blueprint()


@bp.function_name("manage_audit")
@bp.route(route="manage/audit", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_audit(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first; ?entity=agent&entityId=alice narrows it; ?limit=1..500 (default 100)."""
    def run(_: object) -> object:
        limit, entity, entity_id = admin_commands.audit_query(req.params)
        return audit.list_audit(container(), limit, entity, entity_id)
    return authorized(req, Access.READ, run)
