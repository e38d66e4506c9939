"""Timer: every minute, release expired callback leases, restore stuck presence, purge old incidents."""

from __future__ import annotations

import logging
from datetime import timedelta

import azure.functions as func

from functions._common import container
from shared.services import expiry

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("callback_lease_expiry")
@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=True)
def callback_lease_expiry(timer: func.TimerRequest) -> None:
    """Safe to miss or repeat: every decision is taken from timestamps. Not retried on failure."""
    c = container()
    s = c.settings
    report = expiry.run_expiry(c, c.policy, timedelta(days=s.incident_retention_days), purge_related=c.deliveries.purge)
    for region, levels in report.pool_levels.items():
        c.telemetry.pool_level(region, levels)
    routing = report.routing
    if routing.held or routing.released or routing.failed:  # the timer repaired or still cannot reach the engine
        c.telemetry.event("RoutingEngineSync", held=str(len(routing.held)), released=str(len(routing.released)),
                          failed=str(len(routing.failed)))
    log.info("expiry: %d lease(s) released, %d presence(s) restored, %d CallStarted republished, "
             "%d incident(s) rebuilt from leases, %d lease(s) settled after a recorded end, %d call(s) timed out, "
             "%d incident(s) purged, pool %s%s", len(report.released), len(report.presence_restored),
             len(report.reannounced), len(report.recovered), len(report.leases_settled), len(report.timed_out),
             report.incidents_purged, report.pool_levels, " (past due)" if timer.past_due else "")
