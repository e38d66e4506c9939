"""Composition only: telemetry set up once, one FunctionApp, one blueprint per trigger module.

No client or setting is touched at import, except the Application Insights connection string, read once here to
turn telemetry on (it never raises: a telemetry problem must not hide the functions).
"""

import os

import azure.functions as func

from shared import lazy_imports, telemetry

with lazy_imports.deferred("shared."):  # the use cases load on first use, not while the worker indexes
    from functions import (
        acknowledge,
        acs_call_events,
        admin_page,
        agent_page,
        agent_panel,
        agent_signed_in,
        audit,
        board,
        compliance,
        drills,
        escalation,
        inbound_callback,
        incidents,
        lease_expiry,
        manage,
        notification,
        openapi,
        outbound_call,
        presence,
        readiness,
        sites,
        templates,
        voice_alerts,
        voice_setup,
    )

telemetry.configure(os.environ)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (outbound_call.bp, acs_call_events.bp, presence.bp, lease_expiry.bp, manage.bp, inbound_callback.bp,
                  agent_panel.bp, incidents.bp, notification.bp, templates.bp, readiness.bp, voice_setup.bp, audit.bp,
                  admin_page.bp, agent_page.bp, agent_signed_in.bp, sites.bp, acknowledge.bp,
                  escalation.bp, voice_alerts.bp, drills.bp, compliance.bp, board.bp, openapi.bp):
    app.register_functions(blueprint)
