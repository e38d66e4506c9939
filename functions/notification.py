"""Emergency notification: email/SMS on Emergency.CallStarted, mailbox delivery reports, the incident's deliveries."""

from __future__ import annotations

import logging

import azure.functions as func

from functions._common import container, handle_http
from shared import commands, events
from shared.errors import NotFound
from shared.services import deliveries, notify

log = logging.getLogger(__name__)
bp = func.Blueprint()

CALL_STARTED = "Emergency.CallStarted"


class RetryLater(Exception):
    """Raised so that Event Grid delivers the event again (some send failed transiently)."""


@bp.function_name("emergency_notification")
@bp.event_grid_trigger(arg_name="event")
def emergency_notification(event: func.EventGridEvent) -> None:
    """Idempotent per call and recipient; malformed or unknown events are acknowledged; transient failures raise."""
    if event.event_type != CALL_STARTED:
        log.info("event %s of type %s ignored", event.id, event.event_type)
        return
    try:
        cmd = events.emergency_event(event.event_type, event.get_json())
    except events.BadEvent as exc:
        log.warning("event %s acknowledged without effect: %s", event.id, exc)
        return
    try:
        report = notify.notify_emergency(cmd.call_id, container())
    except NotFound:
        # The dial stores the record before it publishes; only a storage failure at that moment leaves none.
        log.warning("emergency call %s has no record: nobody was notified (event %s acknowledged)", cmd.call_id,
                    event.id)
        return
    if report.retry:
        failed = sum(1 for o in report.outcomes if o.retry)
        raise RetryLater(f"emergency call {cmd.call_id}: {failed} notification(s) failed transiently; retry")


@bp.function_name("email_delivery_report")
@bp.event_grid_trigger(arg_name="event")
def email_delivery_report(event: func.EventGridEvent) -> None:
    """Records the mailbox's verdict on our emails; other events and other apps' emails are acknowledged."""
    if event.event_type != deliveries.EMAIL_DELIVERY_REPORT:
        log.info("event %s of type %s ignored", event.id, event.event_type)
        return
    c = container()
    try:
        report = deliveries.email_delivery_report(event.get_json(), c.clock.now())
    except events.BadEvent as exc:
        log.warning("event %s acknowledged without effect: %s", event.id, exc)
        return
    deliveries.record_delivery_report(report, c)


@bp.function_name("manage_incident_deliveries")
@bp.route(route="manage/incidents/{emergencyCallId}/deliveries", methods=["GET"],
          auth_level=func.AuthLevel.FUNCTION)
def manage_incident_deliveries(req: func.HttpRequest) -> func.HttpResponse:
    """Delivery records and notification warnings of one emergency call (admin only)."""
    def run() -> object:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        return deliveries.list_deliveries(call_id, container())
    return handle_http(run)
