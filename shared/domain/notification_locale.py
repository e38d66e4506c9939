"""The notification in one locale: the catalogue's messages with their `{placeholders}` filled, and times, numbers and
country names as CLDR writes them in that locale (Babel).

Times are shown in the agent's time zone (her profile's: where the call happened, so where the reader goes) with the
zone's abbreviation as the locale writes it (7:07 PM AKDT, 23 h 07 HAE, 05.07 CEST), and UTC where the details give
both; an unknown zone is shown as UTC. Babel and the catalogues load on first use: on the notification's path (and
the template editor's), never on the dial's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from shared.domain.locales import DEFAULT_LOCALE, LOCALES

if TYPE_CHECKING:
    from babel import Locale

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
SOURCES = ("confirmed", "unconfirmed", "typed", "network-suggested")


class MessageError(LookupError):
    """A message key no catalogue has, or a message whose placeholder has no value."""


def text(locale: str, key: str, values: Mapping[str, Any] | None = None) -> str:
    """The message `key` in `locale`, each `{name}` replaced by values[name]; en-US's when the locale lacks it (the
    catalogue tests keep that from happening). MessageError for an unknown key or a missing value."""
    from shared.locales import messages

    raw = messages(locale if locale in LOCALES else DEFAULT_LOCALE).get(key)
    if raw is None:
        raw = messages(DEFAULT_LOCALE).get(key)
    if raw is None:
        raise MessageError(f"unknown message {key!r}")
    return fill(raw, values or {}, key)


def fill(message: str, values: Mapping[str, Any], key: str = "") -> str:
    """`message` with each `{name}` replaced by str(values[name]) (no attribute access, no format spec)."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise MessageError(f"message {key!r} needs a value for {{{name}}}")
        value = values[name]
        return "" if value is None else str(value)
    return PLACEHOLDER.sub(one, message)


def placeholders(message: str) -> frozenset[str]:
    """The names a message fills."""
    return frozenset(PLACEHOLDER.findall(message))


@lru_cache(maxsize=len(LOCALES))
def cldr(locale: str) -> Locale:
    """Babel's locale data for 'fr-CA'."""
    from babel import Locale

    return Locale.parse(locale, sep="-")


def time_of_day(moment: datetime, zone: tzinfo, locale: str) -> str:
    """'7:07 PM AKDT', '23 h 07 HAE', '05.07 CEST': the locale's short time in `zone`, with the zone's abbreviation
    (CLDR's, else the time zone database's, else its offset: UTC-3)."""
    return f"{_short_time(moment, zone, locale)} {_zone(moment, zone, locale)}"


def date_time(moment: datetime, zone: tzinfo, locale: str) -> str:
    """'Jul 13, 2027, 7:07 PM AKDT', '13 juill. 2027, 23 h 07 HAE', '14. jul. 2027 05.07 CEST': the locale's medium
    date and short time with the zone's abbreviation, joined as the locale joins them."""
    from babel import dates

    day = dates.format_date(moment.astimezone(zone), "medium", locale=cldr(locale))
    glue = re.sub(r"'([^']*)'", r"\1", str(dates.get_datetime_format("medium", locale=cldr(locale))))
    return glue.replace("{1}", day).replace("{0}", time_of_day(moment, zone, locale))


def spoken_time(moment: datetime, zone: tzinfo, locale: str) -> str:
    """The time of day as the voice says it: the locale's short time without the zone ('7:07 PM', '23 h 07')."""
    return _short_time(moment, zone, locale)


def number(value: int, locale: str) -> str:
    """A whole number as the locale writes it ('1,234', '1 234', '1.234')."""
    from babel import numbers

    return str(numbers.format_decimal(value, locale=cldr(locale)))


def country_name(code: str, fallback: str, locale: str) -> str:
    """The country's name in the locale (CLDR), `fallback` when CLDR has none, 'unknown country' without a code."""
    if not code or code.lower() == "unknown":
        return text(locale, "country.unknown")
    return str(cldr(locale).territories.get(code.upper()) or fallback or code)


def age(delta: timedelta, locale: str) -> str:
    """'12 min', '2 h 5 min', '3 days': how long before the call (never negative)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return text(locale, "age.minutes", {"minutes": number(minutes, locale)})
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        key = "age.hours_minutes" if rest else "age.hours"
        return text(locale, key, {"hours": number(hours, locale), "minutes": number(rest, locale)})
    return text(locale, "age.days", {"days": number(minutes // (24 * 60), locale)})


def source_words(kind: str, source: str, location_age: str, locale: str) -> str:
    """location_source_text (`kind` 'source_text') or location_source_short ('source_short') of a known location."""
    name = {"network-suggested": "network"}.get(source, source) if source in SOURCES else "other"
    if name in ("confirmed", "unconfirmed") and location_age:
        name += "_age"
    return text(locale, f"{kind}.{name}", {"location_age": location_age})


def responder_callback(path: str, callback_number: str, source: str, values: Mapping[str, Any], locale: str) -> str:
    """What follows 'Callback number:' on the call's path, as emergency_path.responder_reach says it, in `locale`
    (`values`: the placeholders, for agent_name and callback_until)."""
    words = dict(values) | {"callback_number": callback_number}
    if path == "direct_offer":
        return text(locale, "callback.direct_offer_also" if callback_number else "callback.direct_offer", words)
    if callback_number:
        return text(locale, "callback.pool" if source == "pool" else "callback.own", words)
    return text(locale, "callback.none", words)


def _short_time(moment: datetime, zone: tzinfo, locale: str) -> str:
    """The locale's short time, its narrow no-break spaces (CLDR 42's '7:07\u202fPM') as plain ones: mail clients
    and SMS gateways read those alike."""
    from babel import dates

    return " ".join(dates.format_time(moment, "short", tzinfo=zone, locale=cldr(locale)).split())


def _zone(moment: datetime, zone: tzinfo, locale: str) -> str:
    """The zone's abbreviation at `moment`: CLDR's short name in the locale (CST, HNC, CET), else the time zone
    database's (AKDT where the locale has none), else the offset from UTC (UTC-3, UTC+5:30)."""
    if zone is UTC:  # datetime.UTC names no IANA zone for CLDR to look up
        return "UTC"
    local = moment.astimezone(zone)
    key = getattr(zone, "key", None)
    named = _cldr_short(key, "daylight" if local.dst() else "standard", locale) if isinstance(key, str) else None
    if named:
        return named
    abbreviation = local.strftime("%Z")
    if abbreviation.isalpha():
        return abbreviation
    minutes = int((local.utcoffset() or timedelta()).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def _cldr_short(key: str, variant: str, locale: str) -> str | None:
    """CLDR's short name of the zone (or of its metazone) in the locale, without Babel's fallbacks to long names."""
    from babel.core import get_global

    canonical = get_global("zone_aliases").get(key, key)
    data = cldr(locale)
    name = data.time_zones.get(canonical, {}).get("short", {}).get(variant)
    if not name:
        metazone = get_global("meta_zones").get(canonical)
        name = data.meta_zones.get(metazone, {}).get("short", {}).get(variant) if metazone else None
    return name if isinstance(name, str) and name and name != NO_INHERITANCE else None


NO_INHERITANCE = "\u2205\u2205\u2205"  # CLDR's "no name here" marker
