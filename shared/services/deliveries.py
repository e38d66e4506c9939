"""Use cases around delivery records: the mailbox's delivery reports, and the admin's view of one incident's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.delivery import Delivery, with_report
from shared.domain.recipients import mask_email
from shared.errors import NotFound
from shared.events import BadEvent, event_time
from shared.ports import Conflict, NotifyPorts

log = logging.getLogger(__name__)

EMAIL_DELIVERY_REPORT = "Microsoft.Communication.EmailDeliveryReportReceived"


@dataclass(frozen=True)
class EmailDeliveryReport:
    """The mailbox's verdict on one email: Delivered, Failed, Quarantined, FilteredSpam, Suppressed, Expanded."""

    message_id: str
    status: str
    detail: str | None
    at: datetime
    recipient: str | None = None


def email_delivery_report(data: Any, received_at: datetime) -> EmailDeliveryReport:
    """Parse the event's data; BadEvent when messageId or status is missing."""
    if not isinstance(data, dict):
        raise BadEvent("data is not an object")
    message_id, status = data.get("messageId"), data.get("status")
    if not isinstance(message_id, str) or not message_id or not isinstance(status, str) or not status:
        raise BadEvent("data.messageId and data.status are required")
    details = data.get("deliveryStatusDetails")
    detail = details.get("statusMessage") if isinstance(details, dict) else None
    recipient = data.get("recipient")
    return EmailDeliveryReport(message_id, status, str(detail)[:500] if detail else None,
                               event_time(data.get("deliveryAttemptTimeStamp"), received_at),
                               recipient if isinstance(recipient, str) else None)


def record_delivery_report(report: EmailDeliveryReport, deps: NotifyPorts) -> Delivery | None:
    """Store the verdict on the delivery whose operation id it names; idempotent; older reports change nothing.

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
        log.info("emergency call %s: email to %s %s", stored.call_id, mask_email(stored.recipient), report.status)
        return stored
    raise Conflict(f"delivery record of message {report.message_id} kept changing")


def delivery_view(d: Delivery) -> dict[str, Any]:
    """The admin's view of one delivery record (restricted API: full recipients)."""
    return {
        "channel": d.channel, "recipient": d.recipient, "status": d.status, "reason": d.reason,
        "attempts": d.attempts, "final": d.final, "operationId": d.operation_id or None, "messageId": d.message_id,
        "firstAttemptAt": _iso(d.first_attempt_at), "updatedAt": _iso(d.updated_at),
        "deliveryStatus": d.delivery_status, "deliveryDetail": d.delivery_detail,
        "deliveryStatusAt": _iso(d.delivery_status_at),
    }


def list_deliveries(call_id: str, deps: NotifyPorts) -> dict[str, Any]:
    """Deliveries and warnings of one emergency call; NotFound when there is neither a record nor a delivery."""
    rows = sorted(deps.deliveries.list(call_id), key=lambda d: (d.channel == "none", d.channel, d.recipient))
    if not rows and deps.calls.get(call_id) is None:
        raise NotFound(f"no emergency call {call_id}")
    return {
        "emergencyCallId": call_id,
        "deliveries": [delivery_view(d) for d in rows if d.channel != "none"],
        "warnings": [{"code": d.recipient, "message": d.reason, "at": _iso(d.updated_at)}
                     for d in rows if d.channel == "none"],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
