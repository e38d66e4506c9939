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
    """Newest first, one row per change (`changes`, each with its fields old -> new) and one per field (`entries`);
    ?entity=agent&entityId=alice&actor=admin@example.com&from=2026-03-01&to=2026-03-31 narrow it; ?limit=1..500
    changes (default 100); a bad or unknown parameter is a 400 naming it."""
    def run(_: object) -> object:
        return audit.list_audit(container(), admin_commands.audit_query(req.params))
    return authorized(req, Access.READ, run)
