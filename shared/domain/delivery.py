"""Notification delivery records and the pure decisions around them: ids, claiming, settling, retry and give-up."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

# board: a security-desk member acknowledged on the live board (recipient: "name <user id>"; nothing is sent).
Channel = Literal["email", "sms", "voice", "board", "none"]
Status = Literal["queued", "accepted", "failed", "warning"]

MAX_ATTEMPTS = 5
# ACS tracks repeatability ids for 5 minutes and refuses (412) a Repeatability-First-Sent older than that; keep a
# margin for clock skew and the request's own travel time.
REPEATABILITY_WINDOW = timedelta(minutes=4)
# A fixed namespace, so the ids derived from (call, channel, recipient) are the same on every instance and retry.
_ID_NAMESPACE = uuid.UUID("6f1c3c52-3f0e-4d8e-9a53-5c1d2b7e9a10")


@dataclass(frozen=True)
class Delivery:
    """One notification to one recipient for one emergency call (or a warning, channel "none"); version = ETag."""

    call_id: str
    channel: Channel
    recipient: str
    status: Status
    operation_id: str = ""  # our deterministic id: email operation id / SMS repeatability request id
    attempts: int = 0
    reason: str | None = None
    message_id: str | None = None  # the service's id (email: = operation id; SMS: ACS message id)
    first_attempt_at: datetime | None = None
    updated_at: datetime | None = None
    final: bool = False
    delivery_status: str | None = None  # the mailbox's later verdict (EmailDeliveryReportReceived)
    delivery_detail: str | None = None
    delivery_status_at: datetime | None = None
    ack_token: str = ""  # the recipient's personal acknowledgement capability (issue 20): unguessable, never derived
    acknowledged_at: datetime | None = None
    acknowledged_via: str | None = None  # the channel the person acknowledged on: email (the link), sms (a reply)
    step: int = 0  # who sent it: 0 the notification at the dial, n the escalation step n (issue 20)
    version: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def settled(self) -> bool:
        """True when nothing more will be sent: accepted, a warning, or failed for good."""
        return self.status in ("accepted", "warning") or self.final

    @property
    def needs_retry(self) -> bool:
        """True when a send failed transiently and attempts remain."""
        return self.status == "failed" and not self.final


@dataclass(frozen=True)
class SendResult:
    """What the service answered for one message: accepted (with its id) or refused for good (with its reason)."""

    accepted: bool
    message_id: str | None = None
    reason: str | None = None
    transient: bool = False


def operation_id(call_id: str, channel: Channel, recipient: str) -> str:
    """Deterministic UUID per emergency call, channel and recipient (case-insensitive): the service de-duplicates."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{call_id}\x1f{channel}\x1f{recipient.casefold()}"))


def new_ack_token() -> str:
    """A recipient's acknowledgement capability: 144 random bits, URL-safe (kept with the record on every retry, so
    each message of the call carries the same link)."""
    return secrets.token_urlsafe(18)


def acknowledge(record: Delivery, via: str, now: datetime) -> Delivery:
    """The person acknowledged: the first acknowledgement stands (a repeat changes nothing)."""
    if record.acknowledged_at is not None:
        return record
    return replace(record, acknowledged_at=now, acknowledged_via=via)


def warning(call_id: str, code: str, message: str, now: datetime) -> Delivery:
    """A recorded warning about the notification of one call (e.g. no recipients), one per code."""
    return Delivery(call_id, "none", code, "warning", reason=message, updated_at=now, final=True)


def claim(current: Delivery | None, call_id: str, channel: Channel, recipient: str, now: datetime,
          step: int = 0) -> Delivery:
    """The queued record written before a send: one more attempt, first attempt time kept."""
    if current is None:
        return Delivery(call_id, channel, recipient, "queued", operation_id(call_id, channel, recipient),
                        attempts=1, first_attempt_at=now, updated_at=now, ack_token=new_ack_token(), step=step)
    return replace(current, status="queued", attempts=current.attempts + 1, updated_at=now,
                   first_attempt_at=current.first_attempt_at or now)


def exhausted(current: Delivery | None, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """True when a record that is not settled has used all its attempts (e.g. crashed mid-send each time)."""
    return current is not None and not current.settled and current.attempts >= max_attempts


def give_up(current: Delivery, now: datetime) -> Delivery:
    """Mark a record failed for good after too many attempts; the reason keeps the last failure."""
    reason = f"gave up after {current.attempts} attempts" + (f"; last: {current.reason}" if current.reason else "")
    return replace(current, status="failed", final=True, reason=reason, updated_at=now)


def settle(claimed: Delivery, result: SendResult, now: datetime, max_attempts: int = MAX_ATTEMPTS) -> Delivery:
    """The record after a send: accepted; failed for good (permanent, or transient on the last attempt); or failed."""
    if result.accepted:
        return replace(claimed, status="accepted", reason=None, message_id=result.message_id, updated_at=now,
                       final=True)
    final = not result.transient or claimed.attempts >= max_attempts
    return replace(claimed, status="failed", reason=result.reason or "send failed", updated_at=now, final=final)


def first_sent(record: Delivery, now: datetime) -> datetime:
    """Repeatability-First-Sent for an SMS: the first attempt while inside the service's window, else now.

    Past the window the service has forgotten the id anyway (and would refuse the old date with 412), so the same id
    goes out with a fresh date; only the delivery record guards against a duplicate then.
    """
    first = record.first_attempt_at or now
    return first if now - first < REPEATABILITY_WINDOW else now


def with_report(record: Delivery, status: str, detail: str | None, at: datetime) -> Delivery:
    """Record the mailbox's later verdict; the accepted/failed status of the send itself stays as it was."""
    return replace(record, delivery_status=status, delivery_detail=detail, delivery_status_at=at)
