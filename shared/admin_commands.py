"""Admin API bodies and queries -> typed values: voice setup records, one callback number, audit-log queries.

Every error names its field (and, for lists, each bad item in `details`), as shared/commands.py does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from shared.commands import check_id, coordinates, text
from shared.domain import addresses, periods
from shared.domain.audit import ENTITIES, AuditQuery
from shared.domain.locales import parse_locale
from shared.domain.numbers import pool_region, region_for_country, to_e164, valid_country
from shared.domain.recipients import RecipientListError, parse_email_recipients, parse_sms_recipients
from shared.domain.sites import Place, Site
from shared.domain.voice_config import (
    KINDS,
    CapacityProfile,
    NumberType,
    OutboundProfile,
    ResourceNumber,
    RoutingRule,
    VoiceRecord,
)
from shared.errors import ValidationError

CHANNELS = ("voice", "sms", "chat", "email")
_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(:\d{1,5})?$")
MAX_AUDIT_LIMIT = 500
MAX_PHONE_CHARS = 32


def phone(name: str, raw: Any) -> str:
    """One E.164 number, or a 400 naming `name` with our own reason (an extension or a letter is refused, never
    dropped; a number without its country code says so, not the parsing library)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(name, "is required: a phone number with + and its country code, e.g. +12025550100")
    if len(raw) > MAX_PHONE_CHARS:
        raise ValidationError(name, f"is longer than {MAX_PHONE_CHARS} characters: not a phone number")
    try:
        return to_e164(raw.strip())
    except ValueError as exc:
        raise ValidationError(name, str(exc)) from None


def callback_number(body: dict[str, Any]) -> str:
    return phone("number", body.get("number"))


def voice_record(kind: str, key: str, body: dict[str, Any]) -> VoiceRecord:
    """The record of `kind` stored under `key` (from the route) as the admin sent it."""
    if kind not in KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(KINDS)}")
    if kind == ResourceNumber.KIND:
        return _resource_number(key, body)
    check_id("key", key)
    if kind == CapacityProfile.KIND:
        return CapacityProfile(key, text(body, "name", required=False, max_len=128) or key)
    if kind == OutboundProfile.KIND:
        return _outbound_profile(key, body)
    return _routing_rule(key, body)


def record_key(kind: str, key: str) -> str:
    """The stored key for a route key: numbers in E.164, other keys as ids."""
    if kind not in KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(KINDS)}")
    return phone("key", key) if kind == ResourceNumber.KIND else check_id("key", key)


def _outbound_profile(key: str, body: dict[str, Any]) -> OutboundProfile:
    channel = text(body, "channel", required=False, max_len=16) or "voice"
    if channel not in CHANNELS:
        raise ValidationError("channel", f"must be one of {', '.join(CHANNELS)}")
    raw_number = body.get("outboundNumber")
    number = phone("outboundNumber", raw_number) if raw_number not in (None, "") else None
    profiles = _list(body, "capacityProfiles", lambda item: check_id("capacityProfiles", item))
    return OutboundProfile(key, text(body, "name", required=False, max_len=128) or key, channel, number,
                           tuple(dict.fromkeys(profiles)))


def _resource_number(key: str, body: dict[str, Any]) -> ResourceNumber:
    number = phone("number", key)
    raw_type = text(body, "type", max_len=32)
    if raw_type not in {t.value for t in NumberType}:
        raise ValidationError("type", "must be microsoft (a Microsoft calling-plan number, direct offer) or "
                              "direct_routing (a carrier's number through an SBC)")
    country = valid_country(text(body, "country", max_len=8))
    if country is None:
        raise ValidationError("country", "must be an ISO 3166-1 alpha-2 code such as US")
    if region_for_country(country) != pool_region(number):
        raise ValidationError("country", f"{country} does not use the country calling code of {number}")
    return ResourceNumber(number, NumberType(raw_type), country)


def _routing_rule(key: str, body: dict[str, Any]) -> RoutingRule:
    pattern = text(body, "numberPattern", max_len=256)
    assert pattern is not None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValidationError("numberPattern", f"is not a valid regular expression ({exc})") from None
    trunks = _list(body, "trunks", _trunk)
    if not trunks:
        raise ValidationError("trunks", "must name at least one SBC, e.g. sbc1.example.com")
    return RoutingRule(key, pattern, tuple(dict.fromkeys(trunks)))


def _trunk(item: str) -> str:
    if not _HOST.match(item):
        raise ValueError("is not an SBC host name such as sbc1.example.com")
    return item.lower()


def _list(body: dict[str, Any], name: str, check: Callable[[str], str]) -> list[str]:
    """A list of strings, or one string separated by semicolons; every bad item named in `details`."""
    raw = body.get(name) or []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(";") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw) or len(raw) > 50:
        raise ValidationError(name, "must be a list of at most 50 strings (or one string separated by ;)")
    good, bad = [], []
    for position, item in enumerate(raw, start=1):
        try:
            good.append(check(item.strip()))
        except (ValueError, ValidationError) as exc:
            reason = exc.message if isinstance(exc, ValidationError) else str(exc)
            bad.append({"item": item, "position": position, "reason": reason})
    if bad:
        raise ValidationError(name, "; ".join(f"#{b['position']} {b['item']!r}: {b['reason']}" for b in bad), bad)
    return good


AUDIT_PARAMETERS = ("entity", "entityId", "actor", "from", "to", "limit")


def audit_query(params: Mapping[str, str]) -> AuditQuery:
    """?entity= one of ENTITIES, ?entityId= an id or number, ?actor= a user id or name (exactly), ?from= ?to= a date
    (a UTC day; `to` takes the whole day) or an RFC 3339 time with its offset, ?limit=1..500 changes (100); an
    unknown parameter or a bad value is a 400 naming it."""
    unknown = sorted(set(params) - set(AUDIT_PARAMETERS))
    if unknown:
        raise ValidationError(unknown[0][:40], f"is not a filter of the audit log; the filters are "
                              f"{', '.join(AUDIT_PARAMETERS)}")
    raw = (params.get("limit") or "100").strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_AUDIT_LIMIT:
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_AUDIT_LIMIT}")
    entity = (params.get("entity") or "").strip() or None
    if entity is not None and entity not in ENTITIES:
        raise ValidationError("entity", f"must be one of {', '.join(ENTITIES)}")
    start, end = periods.moment(params, "from", 0), periods.moment(params, "to", 1)
    if start is not None and end is not None and end <= start:
        raise ValidationError("to", "must be after from")
    return AuditQuery(int(raw), entity, text(dict(params), "entityId", required=False, max_len=128),
                      text(dict(params), "actor", required=False, max_len=256), start, end)


MAX_PLACES = 500
SITE_FIELDS = ("name", "address", "places", "deskEmails", "deskSms", "latitude", "longitude", "locale")
PLACE_FIELDS = ("floor", "wing", "room")
MAX_NETWORKS = 100


def site(site_id: str, body: dict[str, Any]) -> Site:
    """A site as the admin sends it: `{name, address: {RFC 5139 names}, places?: [{floor?, wing?, room?}],
    locale?}`; strict, every problem named by its field."""
    unknown = [k for k in body if k not in SITE_FIELDS]
    if unknown:
        raise ValidationError(unknown[0], f"is not a field of a site (fields: {', '.join(SITE_FIELDS)})")
    name = text(body, "name", max_len=100)
    raw = body.get("address")
    if not isinstance(raw, dict):
        raise ValidationError("address", "must be an object of RFC 5139 parts (country, A1, A3, RD, HNO, PC, ...)")
    try:
        address = addresses.validate(raw)
    except ValidationError as exc:
        raise ValidationError(f"address.{exc.field}", exc.message, exc.details) from exc
    places = body.get("places") or []
    if not isinstance(places, list) or len(places) > MAX_PLACES:
        raise ValidationError("places", f"must be a list of at most {MAX_PLACES} places")
    assert name is not None
    desk = {a.casefold(): a for a in reversed(_list(body, "deskEmails", _email))}  # once each, the first spelling
    latitude, longitude = coordinates(body)
    return Site(check_id("siteId", site_id), name, address, tuple(_place(i, p) for i, p in enumerate(places)),
                tuple(reversed(desk.values())), tuple(dict.fromkeys(_list(body, "deskSms", _mobile))), latitude,
                longitude, parse_locale(body.get("locale")))


def _one_recipient(parse: Callable[[str], tuple[str, ...]]) -> Callable[[str], str]:
    """One recipient of the site's security desk, normalised by the recipients' rules (`parse`)."""
    def check(item: str) -> str:
        try:
            [recipient] = parse(item)
        except RecipientListError as exc:
            raise ValueError(exc.errors[0].reason if exc.errors else "is not a recipient") from exc
        except ValueError:  # `parse` found no item, or more than one
            raise ValueError("holds no recipient, or more than one: give each its own line") from None
        return recipient
    return check


_email, _mobile = _one_recipient(parse_email_recipients), _one_recipient(parse_sms_recipients)


def _place(index: int, raw: Any) -> Place:
    field = f"places[{index}]"
    if not isinstance(raw, dict) or not raw or any(k not in PLACE_FIELDS for k in raw):
        raise ValidationError(field, "must be an object with floor, wing and/or room")
    values = {k: text(raw, k, required=False, max_len=32) for k in PLACE_FIELDS}
    if not any(values.values()):
        raise ValidationError(field, "names no floor, wing or room")
    return Place(**values)


def networks(body: dict[str, Any]) -> list[str]:
    """`{"networks": ["10.1.0.0/16", "2001:db8:1::/48"]}`: the site's networks, as CIDR strings (checked by the
    site use case, which knows the other sites' networks)."""
    raw = body.get("networks")
    if not isinstance(raw, list) or len(raw) > MAX_NETWORKS or not all(isinstance(i, str) for i in raw):
        raise ValidationError("networks", f"must be a list of at most {MAX_NETWORKS} CIDR strings such as 10.1.0.0/16")
    return [i.strip() for i in raw]
