"""The monthly compliance summary (Admin or Auditor, read-only): calls, tests, dial-to-notification and
dial-to-acknowledgement per site and per day, as JSON for the admin page's charts and for anyone's records."""

from __future__ import annotations

import azure.functions as func

from functions._auth import authorized
from functions._common import container
from functions.incidents import queries
from shared.auth import Access
from shared.services import compliance, incident_filters

bp = func.Blueprint()


@bp.function_name("manage_compliance")
@bp.route(route="manage/compliance", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_compliance(req: func.HttpRequest) -> func.HttpResponse:
    """?month=YYYY-MM (UTC); 400 naming `month` when it is missing or not a month."""
    def run(_: object) -> object:
        month = req.params.get("month")
        start, end = incident_filters.parse_month(month)
        c = container()
        names = {s.site_id: s.name for s in c.sites.list_sites()}
        return compliance.monthly_summary(str(month).strip(), start, end, queries(c), names, c.drills.list())
    return authorized(req, Access.INCIDENTS, run)
