"""HTTP bodies -> typed, frozen commands. Validation lives here; every error names its field."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.calls import Agent
from shared.domain.dialed_by import PRINCIPAL_PREFIX, is_principal_agent_id
from shared.domain.locales import parse_locale
from shared.domain.numbers import to_e164, valid_country
from shared.domain.presence import PRESENCE_VALUES
from shared.domain.recipients import RecipientListError, parse_email_recipients, parse_sms_recipients
from shared.errors import ValidationError

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:\-]{0,127}")  # matched whole (fullmatch): no trailing newline
MAX_BODY_BYTES = 64 * 1024  # every JSON API; the template endpoints pass their own (TEMPLATE_BODY_BYTES)
TEMPLATE_BODY_BYTES = 256 * 1024  # subject + html + text (61,000 characters), escaped or multi-byte
MAX_DEPTH = 16  # the deepest body we take is an agent's lastLocation object inside the agent
MAX_NUMBER_DIGITS = 32  # no field is a number that long; Python refuses int strings over 4,300 digits
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab, CR and LF
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BodyTooLarge(ValidationError):
    """The body is over the endpoint's size limit (413)."""

    status = 413


def parse_json_object(body: bytes, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object (UTF-8, no duplicate keys, no NaN, bounded size, nesting and numbers, no lone
    surrogates or control characters but tab and line breaks), or a 400 (413 when too large) that says why not."""
    if len(body or b"") > max_bytes:
        raise BodyTooLarge("body", f"is larger than {max_bytes} bytes")
    try:
        value = json.loads((body or b"null").decode("utf-8"), parse_int=_int, parse_float=_float,
                           parse_constant=_constant, object_pairs_hook=_object)
    except UnicodeDecodeError:
        raise ValidationError("body", "is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValidationError("body", f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise ValidationError("body", f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except _BadJson as exc:
        raise ValidationError("body", str(exc)) from None
    if not isinstance(value, dict):
        raise ValidationError("body", "must be a JSON object")
    _check_tree(value, "body", 1)
    return value


def parse_template_object(body: bytes) -> dict[str, Any]:
    """parse_json_object with the template endpoints' larger limit."""
    return parse_json_object(body, TEMPLATE_BODY_BYTES)


class _BadJson(ValueError):
    pass


def _int(raw: str) -> int:
    if len(raw.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _BadJson(f"holds a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(raw)


def _float(raw: str) -> float:
    if len(raw) > MAX_NUMBER_DIGITS * 2:
        raise _BadJson(f"holds a number of more than {MAX_NUMBER_DIGITS * 2} characters")
    value = float(raw)
    if value in (float("inf"), float("-inf")):
        raise _BadJson("holds a number out of range")
    return value


def _constant(raw: str) -> Any:
    raise _BadJson(f"holds {raw}, which is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _BadJson("holds the same key twice in one object")
    return value


def _check_tree(value: Any, path: str, depth: int) -> None:
    """Bounded nesting; every key and string free of lone surrogates and control characters."""
    if depth > MAX_DEPTH:
        raise ValidationError(path, f"is nested too deeply (at most {MAX_DEPTH} levels)")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, path)
            _check_tree(item, f"{path}.{key}" if path != "body" else key, depth + 1)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _check_tree(item, f"{path}[{position}]", depth + 1)
    elif isinstance(value, str):
        _check_string(value, path)


def _check_string(value: str, path: str) -> None:
    if _SURROGATE.search(value):
        raise ValidationError(path, "holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text")
    if _CONTROL.search(value):
        raise ValidationError(path, "holds a control character")


def text(body: dict[str, Any], name: str, *, required: bool = True, max_len: int = 256,
         multiline: bool = False) -> str | None:
    """A trimmed string within `max_len`; control characters refused (line breaks and tabs unless `multiline`)."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    if len(value) > max_len:
        raise ValidationError(name, f"must be at most {max_len} characters")
    if _CONTROL.search(value) or _SURROGATE.search(value) or (not multiline and _LINE_BREAKS.search(value.strip())):
        raise ValidationError(name, "must not hold control characters" if multiline
                              else "must be one line without control characters")
    return value.strip()


def identifier(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = text(body, name, required=required, max_len=128)
    if value is not None and not _ID.fullmatch(value):
        raise ValidationError(name, "may hold only letters, digits and . _ @ : -")
    return value


def check_id(name: str, value: str) -> str:
    """A route parameter used as an id."""
    if not _ID.fullmatch(value or ""):
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
    pre_dialed: bool = False  # the panel held a number for this call before Call (its pre-dial hint)
    network: str | None = None  # where the dial comes from, as the platform saw it (sites.network_of), if believed
    # The site whose network holds the dial's address, from memory (network_sites): {} none does, None not known
    network_site: dict[str, Any] | None = None


def outbound_call(body: dict[str, Any]) -> OutboundCall:
    """Lenient on the country (a missing location must not cost the emergency handling), strict on the rest."""
    agent_id = identifier(body, "agentId")
    dialed = text(body, "dialedNumber", max_len=64)
    country = text(body, "countryCode", required=False, max_len=8)
    assert agent_id is not None and dialed is not None
    # Lenient too: anything but true only means the dial reads a page of free numbers, as without a hint.
    pre_dialed = body.get("preDialed") is True
    return OutboundCall(agent_id, dialed, country, optional_object(body, "location"),
                        identifier(body, "emergencyCallId", required=False), pre_dialed)


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
    if is_principal_agent_id(agent_id):
        raise ValidationError("agentId", f"must not start with {PRINCIPAL_PREFIX}: such ids are the calls of "
                              "signed-in users no profile names (set signInId on her profile instead)")
    timezone = text(body, "timezone", required=False, max_len=64) or "UTC"
    _check_timezone(timezone)
    emails = text(body, "emailRecipients", required=False, max_len=4000, multiline=True) or ""
    sms = text(body, "smsRecipients", required=False, max_len=2000, multiline=True) or ""
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
                 last_location=_location(body), sign_in_id=identifier(body, "signInId", required=False),
                 routing_worker_id=identifier(body, "routingWorkerId", required=False),
                 locale=parse_locale(body.get("locale")))


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


LOCATION_FIELDS = ("countryCode", "address", "floor", "wing", "room", "city", "state", "postalCode", "enabled",
                   "latitude", "longitude", "accuracyMeters", "siteId")


@dataclass(frozen=True)
class AgentLocation:
    """The dispatchable location the agent confirms on her panel (RAY BAUM's Act: street address, floor, room)."""

    enabled: bool
    country_code: str | None = None
    address: str | None = None
    floor: str | None = None
    room: str | None = None
    city: str | None = None
    postal_code: str | None = None
    wing: str | None = None  # a wing of her site, as the site's places name them
    state: str | None = None  # state, province or territory (RFC 5139 A1), where the country has them
    latitude: float | None = None
    longitude: float | None = None
    accuracy_meters: float | None = None
    site_id: str | None = None  # the site she confirmed she is in (issue 19)

    def as_profile(self) -> dict[str, Any]:
        """The profile's `lastLocation` fields (unset ones left out)."""
        values = {"enabled": self.enabled, "countryCode": self.country_code, "address": self.address,
                  "floor": self.floor, "wing": self.wing, "room": self.room, "city": self.city, "state": self.state,
                  "postalCode": self.postal_code,
                  "latitude": self.latitude, "longitude": self.longitude, "accuracyMeters": self.accuracy_meters,
                  "siteId": self.site_id}
        return {k: v for k, v in values.items() if v is not None}


def agent_location(body: dict[str, Any]) -> AgentLocation:
    """Strict: known fields only; with sharing on, a country and a street address are required."""
    unknown = [k for k in body if k not in LOCATION_FIELDS]
    if unknown:
        raise ValidationError(unknown[0], f"is not a field of a location (fields: {', '.join(LOCATION_FIELDS)})")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValidationError("enabled", "must be true or false (is location sharing on?)")
    country = text(body, "countryCode", required=enabled, max_len=8)
    if country is not None and valid_country(country) is None:
        raise ValidationError("countryCode", "must be an ISO 3166-1 alpha-2 code such as US")
    latitude, longitude = coordinates(body)
    return AgentLocation(
        enabled=enabled, country_code=valid_country(country) if country else None,
        address=text(body, "address", required=enabled, max_len=200), floor=text(body, "floor", required=False,
                                                                                  max_len=32),
        room=text(body, "room", required=False, max_len=32), city=text(body, "city", required=False, max_len=100),
        wing=text(body, "wing", required=False, max_len=32), state=text(body, "state", required=False, max_len=64),
        postal_code=text(body, "postalCode", required=False, max_len=16), latitude=latitude, longitude=longitude,
        accuracy_meters=bounded(body, "accuracyMeters", 0, 100_000),
        site_id=identifier(body, "siteId", required=False))


def coordinates(body: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """`latitude` and `longitude` (WGS 84 degrees), both or neither."""
    latitude, longitude = bounded(body, "latitude", -90, 90), bounded(body, "longitude", -180, 180)
    if (latitude is None) != (longitude is None):
        raise ValidationError("longitude" if longitude is None else "latitude",
                              "latitude and longitude come together: send both or neither")
    return latitude, longitude


def bounded(body: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    """An optional number within [low, high]; ValidationError naming `name` otherwise."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(name, "must be a number")
    if not low <= value <= high:
        raise ValidationError(name, f"must be between {low:g} and {high:g}")
    return float(value)
