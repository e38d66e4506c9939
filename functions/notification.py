"""Emergency notification: email/SMS on Emergency.CallStarted, mailbox delivery reports, the incident's deliveries."""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func

from functions._auth import authorized
from functions._common import container, parse_event
from functions._settings import report_setting_problem, settings_are_permanent
from shared import commands, config, events, ports
from shared.adapters import lanes
from shared.auth import Access
from shared.errors import NotFound
from shared.services import deliveries, escalation, notify

log = logging.getLogger(__name__)
bp = func.Blueprint()

CALL_STARTED = "Emergency.CallStarted"


class RetryLater(Exception):
    """Raised so that Event Grid delivers the event again (some send failed transiently)."""


@bp.function_name("emergency_notification")
@bp.event_grid_trigger(arg_name="event")
@settings_are_permanent
def emergency_notification(event: func.EventGridEvent) -> None:
    """Idempotent per call and recipient; malformed or unknown events are acknowledged; transient failures raise."""
    cmd = parse_event(event, (CALL_STARTED,), lambda e: events.emergency_event(e.type, e.data),
                      source="internal")
    if cmd is None:
        return
    try:
        c = container()
        with lanes.waits_at_most(lanes.FOLLOW_UP_WAIT):  # told at the same time as the call, burst or not
            described = events.call_from_started(cmd.data)
            report = notify.notify_emergency(cmd.call_id, c, described,
                                             c.settings.fallback_email_recipients_as_typed,
                                             c.settings.public_base_url)
            scheduled = _schedule_escalation(cmd.call_id, described, c)
    except NotFound:
        # Only an event without the call's description (an older publisher) and without a record ends here.
        log.error("emergency call %s has no record and the event does not describe it: nobody was notified "
                  "(event %s acknowledged)", cmd.call_id, event.id)
        return
    for problem in report.settings:  # recorded on the delivery records; acknowledged, alerted
        report_setting_problem("emergency_notification", problem.name, str(problem), event.id)
    _measure(report, cmd.data, c)
    if report.retry or not scheduled:
        failed = sum(1 for o in report.outcomes if o.retry)
        unread = f"; not readable: {', '.join(report.unread)}" if report.unread else ""
        later = "" if scheduled else "; its escalation is not scheduled yet"
        raise RetryLater(f"emergency call {cmd.call_id}: {failed} notification(s) failed transiently{unread}{later}; "
                         "retry")


def _schedule_escalation(call_id: str, described: Any, c: Any) -> bool:
    """Who is told next if nobody acknowledges (issue 20), after the first notification went out; False when storage
    failed (Event Grid delivers the event again: scheduling is idempotent). A setting that cannot build the store is
    logged and alerted, never a reason to hold the event."""
    try:
        escalation.schedule(notify.the_call(call_id, c, described), c)
    except ports.StoreError as exc:
        log.warning("emergency call %s: escalation not scheduled yet: %s", call_id, exc)
        return False
    except config.SettingError as exc:
        report_setting_problem("emergency_notification", exc.name, str(exc), call_id)
    return True


def _measure(report: notify.NotifyReport, data: dict[str, object], c: Any) -> None:
    """One NotificationDelivery event per recipient touched in this run; latency of each acceptance."""
    dialed = data.get("dialedAt")
    for o in report.outcomes:
        final = o.status == "accepted" or (o.status == "failed" and not o.retry)
        c.telemetry.event("NotificationDelivery", status=o.status, channel=str(o.channel),
                          final=str(final).lower(), emergencyCallId=report.call_id)
        if o.status == "accepted" and o.note != "already accepted" and isinstance(dialed, str):
            c.telemetry.duration("emergency.dial_to_notification_ms",
                                 (c.clock.now() - events.event_time(dialed, c.clock.now())).total_seconds() * 1000,
                                 channel=str(o.channel))


@bp.function_name("email_delivery_report")
@bp.event_grid_trigger(arg_name="event")
@settings_are_permanent
def email_delivery_report(event: func.EventGridEvent) -> None:
    """Records the mailbox's verdict on our emails; other events and other apps' emails are acknowledged."""
    c = container()
    report = parse_event(event, (deliveries.EMAIL_DELIVERY_REPORT,),
                         lambda e: deliveries.email_delivery_report(e.data, c.clock.now()))
    if report is not None:
        deliveries.record_delivery_report(report, c)


@bp.function_name("sms_delivery_report")
@bp.event_grid_trigger(arg_name="event")
@settings_are_permanent
def sms_delivery_report(event: func.EventGridEvent) -> None:
    """Records the carrier's verdict on our emergency SMS (sent with enableDeliveryReport); other events and other
    apps' messages are acknowledged."""
    c = container()
    report = parse_event(event, (deliveries.SMS_DELIVERY_REPORT,),
                         lambda e: deliveries.sms_delivery_report(e.data, c.clock.now()))
    if report is not None:
        deliveries.record_delivery_report(report, c)


@bp.function_name("manage_incident_deliveries")
@bp.route(route="manage/incidents/{emergencyCallId}/deliveries", methods=["GET"],
          auth_level=func.AuthLevel.ANONYMOUS)
def manage_incident_deliveries(req: func.HttpRequest) -> func.HttpResponse:
    """Delivery records and notification warnings of one emergency call (incident readers only)."""
    def run(_: object) -> object:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        c = container()
        return deliveries.list_deliveries(call_id, c) | {"escalations": escalation.steps_view(call_id, c)}
    return authorized(req, Access.INCIDENTS, run)
