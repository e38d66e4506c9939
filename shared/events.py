"""Event Grid events (Event Grid schema or CloudEvents, as the host hands them over) -> typed commands.

A malformed event raises BadEvent: the trigger adapter logs and acknowledges it (no endless redelivery).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.domain.calls import EmergencyCall
from shared.domain.routing import IncomingCall
from shared.services.ending import AcsCallEnded


class BadEvent(ValueError):
    """The event is not of a shape we handle; it is logged and acknowledged, never half-applied."""


# Bounds on what an event may carry: ids are the app's own (agent and call ids as the HTTP API takes them) or
# ACS's (a serverCallId is a few hundred characters, an incomingCallContext a few KB).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:\-]{0,127}")
MAX_DATA_CHARS = 64 * 1024
MAX_ACS_ID = 1024
MAX_CALL_CONTEXT = 32 * 1024


def _bounded_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadEvent("data is not an object")
    try:
        size = len(json.dumps(data))
    except (TypeError, ValueError, RecursionError):
        raise BadEvent("data is not plain JSON") from None
    if size > MAX_DATA_CHARS:
        raise BadEvent(f"data is {size} characters (at most {MAX_DATA_CHARS})")
    return data


def _acs_id(data: dict[str, Any], name: str) -> str | None:
    """An optional ACS id (serverCallId, correlationId) of bounded length; BadEvent if it is not a string."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_ACS_ID:
        raise BadEvent(f"data.{name} is not a string of at most {MAX_ACS_ID} characters")
    return value


@dataclass(frozen=True)
class EmergencyEvent:
    """An internal Emergency.* event."""

    event_type: str
    call_id: str
    agent_id: str
    data: dict[str, Any]


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadEvent(f"data.{name} is missing or not a string")
    if not _ID.fullmatch(value):
        raise BadEvent(f"data.{name} is not an id (letters, digits and . _ @ : -, at most 128 characters)")
    return value


def emergency_event(event_type: str, data: Any) -> EmergencyEvent:
    data = _bounded_data(data)
    return EmergencyEvent(event_type, _field(data, "emergencyCallId"), _field(data, "agentId"), data)


def raw_id(identifier: Any) -> str | None:
    """The raw id of an ACS identifier model ('4:+1…', '8:acs:…', '8:orgid:…'), whatever the casing of its kind
    and keys; built by the SDK from the kind's own property when the model has no rawId."""
    from shared.identifiers import raw_id_of

    return raw_id_of(identifier)


def event_time(value: datetime | str | None, fallback: datetime) -> datetime:
    """The event's time in UTC; `fallback` when the event has none."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return _iso(value)
    return fallback


def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent(f"time {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def acs_call_ended(event_id: str, data: Any, when: datetime) -> AcsCallEnded:
    """All three shapes of CallEnded: the 2021 one (startedBy is the identifier model itself, durationOfCall) and
    the newer one (startedBy.communicationIdentifier, callDurationInSeconds) in either schema."""
    data = _bounded_data(data)
    server, correlation = _acs_id(data, "serverCallId"), _acs_id(data, "correlationId")
    if not server and not correlation:
        raise BadEvent("neither serverCallId nor correlationId is present")
    started_by = _participant(data.get("startedBy"))
    if started_by is not None and len(started_by) > MAX_ACS_ID:
        raise BadEvent(f"data.startedBy is longer than {MAX_ACS_ID} characters")
    duration = data.get("callDurationInSeconds", data.get("durationOfCall"))
    return AcsCallEnded(event_id=event_id, server_call_id=server, correlation_id=correlation,
                        started_by=started_by, ended_at=when,
                        duration_seconds=float(duration) if isinstance(duration, int | float)
                        and not isinstance(duration, bool) else None)


def _participant(value: Any) -> str | None:
    """startedBy / endedBy: {communicationIdentifier: model, role} (newer) or the model itself (2021)."""
    if not isinstance(value, dict):
        return None
    nested = next((v for k, v in value.items() if str(k).lower() == "communicationidentifier"), None)
    return raw_id(nested if isinstance(nested, dict) else value)


def incoming_call(event_id: str, data: Any, when: datetime | str | None, now: datetime) -> IncomingCall:
    """Microsoft.Communication.IncomingCall in either schema; `kind` casing and identifier shapes vary."""
    if not isinstance(data, dict):
        raise BadEvent("data is not an object")
    to = raw_id(data.get("to"))
    if not to or len(to) > MAX_ACS_ID:
        raise BadEvent("data.to has no usable identifier")
    from_id = raw_id(data.get("from"))
    context = data.get("incomingCallContext")
    if not isinstance(context, str) or not context or len(context) > MAX_CALL_CONTEXT:
        raise BadEvent("data.incomingCallContext is missing or too long")
    return IncomingCall(event_id=event_id, to_raw_id=to,
                        from_raw_id=from_id if from_id is None or len(from_id) <= MAX_ACS_ID else None,
                        incoming_call_context=context, server_call_id=_acs_id(data, "serverCallId"),
                        correlation_id=_acs_id(data, "correlationId"), event_time=event_time(when, now))


def call_from_started(data: dict[str, Any]) -> EmergencyCall | None:
    """The incident as Emergency.CallStarted describes it (used when its record could not be written)."""
    if not isinstance(data.get("dialedAt"), str):
        return None
    try:
        dialed_at = _iso(data["dialedAt"])
        until = data.get("callbackUntil")
        location = data.get("location")
        return EmergencyCall(
            call_id=str(data["emergencyCallId"]), agent_id=str(data["agentId"]),
            dialed_number=str(data.get("dialedNumber") or "emergency number"),
            country=data.get("countryCode") if isinstance(data.get("countryCode"), str) else None,
            test=bool(data.get("test", False)), dialed_at=dialed_at, agent_name=str(data.get("agentName") or ""),
            callback_number=data.get("callbackNumber") if isinstance(data.get("callbackNumber"), str) else None,
            callback_source=data.get("callbackSource") if isinstance(data.get("callbackSource"), str) else None,
            callback_until=_iso(until) if isinstance(until, str) else None,
            location=location if isinstance(location, dict) else None,
            path=data.get("path") if isinstance(data.get("path"), str) else None,
            caller_id=data.get("callerId") if isinstance(data.get("callerId"), str) else None,
            acs_user_id=data.get("acsUserId") if isinstance(data.get("acsUserId"), str) else None)
    except (KeyError, BadEvent):
        return None


@dataclass(frozen=True)
class SmsReceived:
    """An inbound SMS (Microsoft.Communication.SMSReceived): who sent it, to which of our numbers, what it says."""

    message_id: str
    from_number: str  # E.164 with its '+'
    to_number: str
    message: str
    received_at: datetime


def sms_received(data: Any, when: datetime | str | None, now: datetime) -> SmsReceived:
    """Both casings ACS uses: PascalCase without '+' (the specs' examples), camelCase with it (the docs, SDKs)."""
    body = _bounded_data(data)

    def read(name: str) -> Any:
        return body.get(name, body.get(name[0].upper() + name[1:]))

    numbers = [str(read(k) or "").strip() for k in ("from", "to")]
    if not all(re.fullmatch(r"\+?[0-9]{3,15}", n) for n in numbers):
        raise BadEvent("SMSReceived without a sender and recipient phone number")
    message, message_id = read("message"), read("messageId")
    if not isinstance(message, str) or not isinstance(message_id, str) or not message_id:
        raise BadEvent("SMSReceived without its message or message id")
    sent = read("receivedTimestamp")
    sender, recipient = ("+" + n.lstrip("+") for n in numbers)
    return SmsReceived(message_id, sender, recipient, message, event_time(sent if isinstance(sent, str) else when, now))
