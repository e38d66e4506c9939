"""Use cases around delivery records: the mailbox's delivery reports, and the admin's view of one incident's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.delivery import Delivery, with_report
from shared.domain.numbers import mask_phone
from shared.domain.recipients import mask_email
from shared.errors import NotFound
from shared.events import BadEvent, event_time
from shared.ports import Conflict, NotifyPorts

log = logging.getLogger(__name__)

EMAIL_DELIVERY_REPORT = "Microsoft.Communication.EmailDeliveryReportReceived"
# The carrier's verdict on an SMS sent with enableDeliveryReport: DeliveryStatus is Delivered or Failed (the event
# schema's words), in PascalCase keys (the schema's example) or camelCase (the SDKs').
SMS_DELIVERY_REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
UNKNOWN = "Unknown"
# The schema's statuses (AcsEmailDeliveryReportStatus), and whether each means the mail reached the mailbox: only
# Delivered does. Reports send them in any casing (the examples in lower case); a status the schema does not name is
# recorded as Unknown with the service's word in the detail, so nobody takes it for a delivery or a refusal.
DELIVERED: dict[str, bool | None] = {"Delivered": True, "Bounced": False, "Failed": False, "FilteredSpam": False,
                                     "Quarantined": False, "Suppressed": False, UNKNOWN: None}
_STATUS = {name.lower(): name for name in DELIVERED if name != UNKNOWN}
MAX_DETAIL = 500


@dataclass(frozen=True)
class DeliveryReport:
    """The mailbox's verdict on one email, or the carrier's on one SMS: one of DELIVERED's statuses (Unknown for any
    other)."""

    message_id: str
    status: str
    detail: str | None
    at: datetime
    recipient: str | None = None


def email_delivery_report(data: Any, received_at: datetime) -> DeliveryReport:
    """Parse the event's data; BadEvent when messageId or status is missing."""
    if not isinstance(data, dict):
        raise BadEvent("data is not an object")
    message_id, status = data.get("messageId"), data.get("status")
    if not isinstance(message_id, str) or not message_id or not isinstance(status, str) or not status:
        raise BadEvent("data.messageId and data.status are required")
    details = data.get("deliveryStatusDetails")
    detail = str(details.get("statusMessage") or "") if isinstance(details, dict) else ""
    known = _STATUS.get(status.strip().lower())
    if known is None:
        detail = f"status {status.strip()[:64]!r} is not one the schema names" + (f"; {detail}" if detail else "")
    recipient = data.get("recipient")
    # Both casings are official: deliveryAttemptTimeStamp (Event Grid example), deliveryAttemptTimestamp (CloudEvents).
    attempted = data.get("deliveryAttemptTimeStamp") or data.get("deliveryAttemptTimestamp")
    return DeliveryReport(message_id, known or UNKNOWN, detail[:MAX_DETAIL] or None,
                          event_time(attempted, received_at), recipient if isinstance(recipient, str) else None)


def sms_delivery_report(data: Any, received_at: datetime) -> DeliveryReport:
    """Parse an SMSDeliveryReportReceived's data (either casing); BadEvent when messageId or the status is missing.
    The time is the carrier's last delivery attempt, else when the report was received."""
    if not isinstance(data, dict):
        raise BadEvent("data is not an object")

    def read(name: str) -> Any:
        return data.get(name, data.get(name[0].upper() + name[1:]))
    message_id, status = read("messageId"), read("deliveryStatus")
    if not isinstance(message_id, str) or not message_id or not isinstance(status, str) or not status:
        raise BadEvent("data.messageId and data.deliveryStatus are required")
    detail = str(read("deliveryStatusDetails") or "")
    known = _STATUS.get(status.strip().lower())
    if known is None:
        detail = f"status {status.strip()[:64]!r} is not one the schema names" + (f"; {detail}" if detail else "")
    attempts = read("deliveryAttempts")
    last = attempts[-1] if isinstance(attempts, list) and attempts and isinstance(attempts[-1], dict) else {}
    attempted = last.get("timestamp", last.get("Timestamp")) or read("receivedTimestamp")
    to = read("to")
    return DeliveryReport(message_id, known or UNKNOWN, detail[:MAX_DETAIL] or None,
                          event_time(attempted if isinstance(attempted, str) else None, received_at),
                          to if isinstance(to, str) else None)


def record_delivery_report(report: DeliveryReport, deps: NotifyPorts) -> Delivery | None:
    """Store the verdict on the delivery whose message id it names (an email's operation id, an SMS's message id);
    idempotent; older reports change nothing.

    None when the message is not one of ours (other apps may share the ACS resource). Raises Conflict when the
    record keeps changing under it (Event Grid redelivers).
    """
    for _ in range(3):
        current = deps.deliveries.by_message_id(report.message_id)
        if current is None:
            log.info("delivery report for message %s: not an emergency notification", report.message_id)
            return None
        if current.delivery_status_at is not None and current.delivery_status_at > report.at:
            return current
        try:
            stored = deps.deliveries.replace(with_report(current, report.status, report.detail, report.at))
        except Conflict:
            continue
        arrived = DELIVERED.get(report.status)
        who = mask_phone(stored.recipient) if stored.channel == "sms" else mask_email(stored.recipient)
        log.log(logging.INFO if arrived else logging.WARNING, "emergency call %s: %s to %s %s (%s)",
                stored.call_id, stored.channel, who, report.status,
                {True: "delivered", False: "not delivered", None: "delivery unknown"}[arrived])
        return stored
    raise Conflict(f"delivery record of message {report.message_id} kept changing")


def delivery_view(d: Delivery) -> dict[str, Any]:
    """The admin's view of one delivery record (restricted API: full recipients; masked too, for the timeline that
    may be shown on a shared screen). `step`: 0 the notification at the dial, n the escalation step n."""
    return {
        "channel": d.channel, "recipient": d.recipient, "step": d.step,
        "recipientMasked": mask_email(d.recipient) if d.channel == "email" else mask_phone(d.recipient),
        "status": d.status, "reason": d.reason,
        "attempts": d.attempts, "final": d.final, "operationId": d.operation_id or None, "messageId": d.message_id,
        "firstAttemptAt": _iso(d.first_attempt_at), "updatedAt": _iso(d.updated_at),
        "deliveryStatus": d.delivery_status, "deliveryDetail": d.delivery_detail,
        "delivered": DELIVERED.get(_STATUS.get(d.delivery_status.lower(), UNKNOWN)) if d.delivery_status else None,
        "deliveryStatusAt": _iso(d.delivery_status_at),
        "acknowledgedAt": _iso(d.acknowledged_at), "acknowledgedVia": d.acknowledged_via,
        "secondsToAcknowledge": None,  # filled in by list_deliveries, which knows the dial
    }


def list_deliveries(call_id: str, deps: NotifyPorts) -> dict[str, Any]:
    """Deliveries and warnings of one emergency call; NotFound when there is neither a record nor a delivery."""
    rows = sorted(deps.deliveries.list(call_id), key=lambda d: (d.channel == "none", d.channel, d.recipient))
    loaded = deps.calls.get(call_id)
    if not rows and loaded is None:
        raise NotFound(f"no emergency call {call_id}")
    dialed = loaded[0].dialed_at if loaded else None
    return {
        "emergencyCallId": call_id,
        "asOf": deps.clock.now().isoformat(),  # the server's now: "due in …" of a step counts from it
        "deliveries": [delivery_view(d) | {"secondsToAcknowledge": int((d.acknowledged_at - dialed).total_seconds())
                                           if d.acknowledged_at and dialed else None}
                       for d in rows if d.channel != "none"],
        "warnings": [{"code": d.recipient, "message": d.reason, "at": _iso(d.updated_at)}
                     for d in rows if d.channel == "none"],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
