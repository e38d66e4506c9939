"""HTTP bodies -> typed, frozen commands. Validation lives here; every error names its field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.calls import Agent
from shared.domain.numbers import to_e164, valid_country
from shared.domain.presence import PRESENCE_VALUES
from shared.domain.recipients import RecipientListError, parse_email_recipients, parse_sms_recipients
from shared.errors import ValidationError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:\-]{0,127}$")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says why not."""
    try:
        value = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("body", f"is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(value, dict):
        raise ValidationError("body", "must be a JSON object")
    return value


def text(body: dict[str, Any], name: str, *, required: bool = True, max_len: int = 256) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    if len(value) > max_len:
        raise ValidationError(name, f"must be at most {max_len} characters")
    return value.strip()


def identifier(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = text(body, name, required=required, max_len=128)
    if value is not None and not _ID.match(value):
        raise ValidationError(name, "may hold only letters, digits and . _ @ : -")
    return value


def check_id(name: str, value: str) -> str:
    """A route parameter used as an id."""
    if not _ID.match(value or ""):
        raise ValidationError(name, "may hold only letters, digits and . _ @ : -")
    return value


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError(name, "must be an object")
    if len(json.dumps(value)) > 4000:
        raise ValidationError(name, "is too large (4000 characters at most)")
    return value


@dataclass(frozen=True)
class OutboundCall:
    """The dialer's report of a number the agent is about to dial."""

    agent_id: str
    dialed_number: str
    country_code: str | None
    location: dict[str, Any] | None = None
    emergency_call_id: str | None = None


def outbound_call(body: dict[str, Any]) -> OutboundCall:
    """Lenient on the country (a missing location must not cost the emergency handling), strict on the rest."""
    agent_id = identifier(body, "agentId")
    dialed = text(body, "dialedNumber", max_len=64)
    country = text(body, "countryCode", required=False, max_len=8)
    assert agent_id is not None and dialed is not None
    return OutboundCall(agent_id, dialed, country, optional_object(body, "location"),
                        identifier(body, "emergencyCallId", required=False))


@dataclass(frozen=True)
class CallEnd:
    call_id: str
    server_call_id: str | None = None
    correlation_id: str | None = None
    agent_id: str | None = None  # lets the end of a call the backend could not record still restore presence
    dialed_number: str | None = None  # and what was dialed, so that its contacts are still told
    country_code: str | None = None


def call_end(call_id: str, body: dict[str, Any]) -> CallEnd:
    agent_id = identifier(body, "agentId", required=False)
    return CallEnd(check_id("emergencyCallId", call_id), text(body, "serverCallId", required=False),
                   text(body, "correlationId", required=False), agent_id,
                   text(body, "dialedNumber", required=False, max_len=64),
                   text(body, "countryCode", required=False, max_len=8))


def presence_status(body: dict[str, Any]) -> str:
    status = text(body, "status", max_len=32)
    if status not in PRESENCE_VALUES:
        raise ValidationError("status", f"must be one of {', '.join(PRESENCE_VALUES)}")
    return status


def _phone(body: dict[str, Any], name: str) -> str | None:
    raw = text(body, name, required=False, max_len=32)
    if raw is None:
        return None
    try:
        return to_e164(raw)
    except ValueError as exc:
        raise ValidationError(name, f"must be an E.164 number such as +12025550100 ({exc})") from None


def agent(agent_id: str, body: dict[str, Any]) -> Agent:
    """An agent as the admin sends it; recipients are kept as typed after validation (see recipients)."""
    check_id("agentId", agent_id)
    timezone = text(body, "timezone", required=False, max_len=64) or "UTC"
    _check_timezone(timezone)
    emails = text(body, "emailRecipients", required=False, max_len=4000) or ""
    sms = text(body, "smsRecipients", required=False, max_len=2000) or ""
    for name, raw, parse in (("emailRecipients", emails, parse_email_recipients),
                             ("smsRecipients", sms, parse_sms_recipients)):
        try:
            parse(raw)
        except RecipientListError as exc:
            raise ValidationError(name, str(exc), [
                {"item": e.item, "position": e.position, "reason": e.reason} for e in exc.errors]) from None
    mailbox = body.get("mailboxEnabled", True)
    if not isinstance(mailbox, bool):
        raise ValidationError("mailboxEnabled", "must be true or false")
    return Agent(agent_id=agent_id, display_name=text(body, "displayName") or agent_id,
                 acs_user_id=_acs_id(body), outbound_number=_phone(body, "outboundNumber"), timezone=timezone,
                 email_recipients=emails, sms_recipients=sms, mailbox_enabled=mailbox,
                 outbound_profile=text(body, "outboundProfile", required=False),
                 capacity_profile=text(body, "capacityProfile", required=False),
                 last_location=_location(body), sign_in_id=identifier(body, "signInId", required=False))


def _acs_id(body: dict[str, Any]) -> str | None:
    value = text(body, "acsUserId", required=False)
    if value is not None and not value.startswith("8:"):
        raise ValidationError("acsUserId", "must be an ACS identity raw id such as 8:acs:<resource>_<user>")
    return value


def _location(body: dict[str, Any]) -> dict[str, Any] | None:
    location = optional_object(body, "lastLocation")
    if location is not None and location.get("countryCode") is not None \
            and valid_country(str(location["countryCode"])) is None:
        raise ValidationError("lastLocation.countryCode", "must be an ISO 3166-1 alpha-2 code such as US")
    if location is not None and not isinstance(location.get("enabled", True), bool):
        raise ValidationError("lastLocation.enabled", "must be true or false (is location sharing on?)")
    return location


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("timezone",
                              f"unknown time zone {name!r} (use an IANA name such as America/Chicago)") from None


def pool_numbers(body: dict[str, Any]) -> list[str]:
    """The pool's wanted numbers: every item must be E.164-parsable; the 400 names each bad item."""
    raw = body.get("numbers")
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise ValidationError("numbers", "must be a list of phone numbers in E.164")
    numbers, bad = [], []
    for position, item in enumerate(raw, start=1):
        try:
            numbers.append(to_e164(item))
        except ValueError as exc:
            bad.append({"item": item, "position": position, "reason": str(exc)})
    if bad:
        raise ValidationError("numbers", "; ".join(f"{b['item']!r}: {b['reason']}" for b in bad), bad)
    return list(dict.fromkeys(numbers))
