"""Validation of ACS request bodies and repeatability headers, answering the way the service does (400/412)."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from local.acs.store import Reply, acs_error

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# An SMS sender may also be a short code or an alphanumeric sender ID.
SMS_SENDER = re.compile(r"^(\+[1-9]\d{6,14}|\d{5,6}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$")
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_RECIPIENTS = 50
MAX_SMS_RECIPIENTS = 100
MAX_SMS_LENGTH = 2048
# learn.microsoft.com/rest/api/communication/repeatable-requests: requests are tracked for 5 minutes.
REPEATABILITY_WINDOW = timedelta(minutes=5)
IDENTIFIER_MODELS = (
    "communicationUser",
    "phoneNumber",
    "microsoftTeamsUser",
    "microsoftTeamsApp",
    "teamsExtensionUser",
)
REJECT_REASONS = {"none", "busy", "forbidden"}
# What a communicationUser id starts with (public, DoD and GCC High clouds; spool ids), and the raw id prefix of a
# Teams user per cloud (CommunicationCloudEnvironment: public, dod, gcch) or anonymous.
ACS_USER_PREFIXES = ("8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:")
TEAMS_CLOUDS = {"public": "8:orgid:", "dod": "8:dod:", "gcch": "8:gcch:"}


class Invalid(Exception):
    """A request the service would refuse; `reply()` is the ACS error answer."""

    def __init__(self, message: str, target: str | None = None, status: int = 400, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.target, self.status, self.code = target, status, code

    def reply(self) -> Reply:
        """The ACS-shaped error answer for this refusal."""
        return acs_error(self.status, self.code, str(self), self.target)


@dataclass(frozen=True)
class Repeatability:
    """Validated Repeatability-Request-ID / Repeatability-First-Sent pair."""

    request_id: str
    first_sent: datetime


def parse_repeatability(request_id: str | None, first_sent: str | None, now: datetime) -> Repeatability | None:
    """None when neither is sent; 400 when malformed, 412 when first sent outside the tracked window."""
    if request_id is None and first_sent is None:
        return None
    try:
        uuid.UUID(request_id or "")
    except ValueError as err:
        raise Invalid("Repeatability-Request-ID must be a GUID.", "Repeatability-Request-ID") from err
    try:
        sent = parsedate_to_datetime(first_sent or "")
    except (TypeError, ValueError) as err:
        raise Invalid("Repeatability-First-Sent must be an IMF-fixdate.", "Repeatability-First-Sent") from err
    sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    if now - sent > REPEATABILITY_WINDOW:
        raise Invalid("Repeatability first sent header not within 5 minute window.", None, 412, "PreconditionFailed")
    return Repeatability(str(request_id), sent)


def validate_email(body: Any) -> None:
    """Check an EmailMessage body (senderAddress, recipients, content, attachments)."""
    _require(isinstance(body, dict), "The request body must be a JSON object.", None)
    _address(body.get("senderAddress"), "senderAddress")
    recipients = body.get("recipients")
    _require(isinstance(recipients, dict), "recipients is required.", "recipients")
    _require(isinstance(recipients.get("to"), list) and recipients["to"], "At least one To recipient.", "recipients.to")
    total = 0
    for field in ("to", "cc", "bcc"):
        for i, item in enumerate(_list(recipients.get(field), f"recipients.{field}")):
            _require(isinstance(item, dict), "A recipient must be an object.", f"recipients.{field}[{i}]")
            _address(item.get("address"), f"recipients.{field}[{i}].address")
            total += 1
    _require(total <= MAX_EMAIL_RECIPIENTS, f"At most {MAX_EMAIL_RECIPIENTS} recipients per message.", "recipients")
    content = body.get("content")
    _require(isinstance(content, dict), "content is required.", "content")
    _require(_text(content.get("subject")), "content.subject is required.", "content.subject")
    has_body = _text(content.get("html")) or _text(content.get("plainText"))
    _require(has_body, "content.html or content.plainText is required.", "content")
    for i, item in enumerate(_list(body.get("replyTo"), "replyTo")):
        _address(item.get("address") if isinstance(item, dict) else None, f"replyTo[{i}].address")
    for i, item in enumerate(_list(body.get("attachments"), "attachments")):
        _attachment(item, f"attachments[{i}]")


def validate_sms(body: Any) -> None:
    """Check a SendMessageRequest body; bad recipient numbers are per-recipient failures, not a 400."""
    _require(isinstance(body, dict), "The request body must be a JSON object.", None)
    sender = body.get("from")
    _require(isinstance(sender, str) and SMS_SENDER.match(sender), "Invalid From phone number format.", "from")
    recipients = body.get("smsRecipients")
    _require(isinstance(recipients, list) and recipients, "smsRecipients is required.", "smsRecipients")
    _require(len(recipients) <= MAX_SMS_RECIPIENTS, f"At most {MAX_SMS_RECIPIENTS} recipients.", "smsRecipients")
    for i, item in enumerate(recipients):
        ok = isinstance(item, dict) and isinstance(item.get("to"), str)
        _require(ok, "Each recipient needs 'to'.", f"smsRecipients[{i}].to")
    message = body.get("message")
    _require(isinstance(message, str), "message is required.", "message")
    _require(len(message) <= MAX_SMS_LENGTH, f"message is longer than {MAX_SMS_LENGTH}.", "message")
    options = body.get("smsSendOptions")
    if options is not None:
        ok = isinstance(options, dict) and isinstance(options.get("enableDeliveryReport"), bool)
        _require(ok, "smsSendOptions.enableDeliveryReport must be a boolean.", "smsSendOptions")


def validate_redirect(body: Any) -> None:
    """Check a RedirectCallRequest: incomingCallContext and a target identifier."""
    _call_context(body)
    target = body.get("target")
    _require(isinstance(target, dict), "target is required.", "target")
    _identifier(target, "target")


def validate_reject(body: Any) -> None:
    """Check a RejectCallRequest: incomingCallContext and an optional known callRejectReason."""
    _call_context(body)
    reason = body.get("callRejectReason")
    _require(reason is None or str(reason).lower() in REJECT_REASONS, "Unknown callRejectReason.", "callRejectReason")


def validate_identifier(model: Any, where: str) -> None:
    """Check one CommunicationIdentifierModel (a target or participant of any request)."""
    _require(isinstance(model, dict), f"{where} is required.", where)
    _identifier(model, where)


def _call_context(body: Any) -> None:
    """Both call actions need a JSON object with a non-empty incomingCallContext."""
    _require(isinstance(body, dict), "The request body must be a JSON object.", None)
    _require(_text(body.get("incomingCallContext")), "incomingCallContext is required.", "incomingCallContext")


def _identifier(model: dict[str, Any], where: str) -> None:
    """A CommunicationIdentifierModel needs one known sub-model, consistent with rawId (and kind) when sent."""
    present = [name for name in IDENTIFIER_MODELS if isinstance(model.get(name), dict)]
    _require(len(present) == 1, f"{where} needs exactly one of {IDENTIFIER_MODELS}.", where)
    kind = model.get("kind")
    _require(kind is None or str(kind).lower() == present[0].lower(), f"{where}.kind does not match.", f"{where}.kind")
    raw_id = model.get("rawId")
    if present[0] == "communicationUser":
        user_id = model["communicationUser"].get("id")
        ok = _text(user_id) and user_id.startswith(ACS_USER_PREFIXES) and bool(user_id.split(":", 2)[2])
        _require(ok, "Invalid ACS user id.", f"{where}.communicationUser.id")
        _require(raw_id in (None, user_id), "rawId does not match communicationUser.id.", f"{where}.rawId")
    elif present[0] == "phoneNumber":
        value = model["phoneNumber"].get("value")
        _require(isinstance(value, str) and E164.match(value), "Invalid phone number.", f"{where}.phoneNumber.value")
        _require(raw_id in (None, f"4:{value}"), "rawId does not match phoneNumber.value.", f"{where}.rawId")
    elif present[0] == "microsoftTeamsUser":
        _teams_user(model["microsoftTeamsUser"], raw_id, where)


def _teams_user(user: dict[str, Any], raw_id: Any, where: str) -> None:
    """MicrosoftTeamsUserIdentifierModel: userId required; isAnonymous and cloud optional; rawId consistent."""
    user_id = user.get("userId")
    _require(_text(user_id), "userId is required.", f"{where}.microsoftTeamsUser.userId")
    cloud = str(user.get("cloud") or "public").lower()
    _require(cloud in TEAMS_CLOUDS, f"Unknown cloud; expected one of {sorted(TEAMS_CLOUDS)}.",
             f"{where}.microsoftTeamsUser.cloud")
    prefix = "8:teamsvisitor:" if user.get("isAnonymous") is True else TEAMS_CLOUDS[cloud]
    _require(raw_id in (None, f"{prefix}{user_id}"), "rawId does not match microsoftTeamsUser.", f"{where}.rawId")


def _attachment(item: Any, where: str) -> None:
    """An attachment needs name, contentType and valid base64 content."""
    _require(isinstance(item, dict), "An attachment must be an object.", where)
    for name in ("name", "contentType", "contentInBase64"):
        _require(_text(item.get(name)), f"{name} is required.", f"{where}.{name}")
    try:
        base64.b64decode(item["contentInBase64"], validate=True)
    except (binascii.Error, ValueError) as err:
        raise Invalid("contentInBase64 is not valid base64.", f"{where}.contentInBase64") from err


def _address(value: Any, where: str) -> None:
    """An email address field must look like one."""
    _require(isinstance(value, str) and EMAIL_ADDRESS.match(value), "Invalid email address format.", where)


def _list(value: Any, where: str) -> list[Any]:
    """An optional JSON array: None becomes []."""
    _require(value is None or isinstance(value, list), f"{where} must be an array.", where)
    return value or []


def _text(value: Any) -> bool:
    """True for a non-blank string."""
    return isinstance(value, str) and bool(value.strip())


def _require(condition: Any, message: str, target: str | None) -> None:
    """Raise a 400 Invalid unless `condition` holds."""
    if not condition:
        raise Invalid(message, target)
