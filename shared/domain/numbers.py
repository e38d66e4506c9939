"""Which dialed strings are emergency calls, by country, and E.164 handling of callback numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

# What Azure Communication Services supports (FACTS.md): 911 in US, PR and CA; 112 in DK; 999 and 112 in GB;
# 000 in AU. 933 is the US test number: the whole flow runs and everything it produces is marked as a test.
ACS_EMERGENCY_NUMBERS: dict[str, frozenset[str]] = {
    "US": frozenset({"911"}),
    "PR": frozenset({"911"}),
    "CA": frozenset({"911"}),
    "DK": frozenset({"112"}),
    "GB": frozenset({"999", "112"}),
    "AU": frozenset({"000"}),
}
TEST_NUMBERS: dict[str, frozenset[str]] = {"US": frozenset({"933"})}
SUPPORTED_COUNTRIES = frozenset(ACS_EMERGENCY_NUMBERS)
_ALL_EMERGENCY = frozenset().union(*ACS_EMERGENCY_NUMBERS.values())

# Visual separators agents (and click-to-dial) put in numbers. Anything else (a comma pause, *, #, letters) makes
# the string something other than a plain emergency number: "9,911" is a trunk prefix plus a pause, not 911.
_SEPARATORS = re.compile(r"[\s\-.()/\u00a0]")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _phonenumbers() -> ModuleType:
    """phonenumbers loads on first use (about 15 ms), so that indexing the app stays as cheap as azure.functions."""
    import phonenumbers
    import phonenumbers.shortnumberinfo  # noqa: F401  (the submodule the classification needs)

    return phonenumbers


@dataclass(frozen=True)
class Classification:
    """The answer for one dialed string: whether it is an emergency (or test) call and which number it is."""

    emergency: bool
    test: bool = False
    number: str | None = None
    country: str | None = None
    country_supported: bool = False


NOT_EMERGENCY = Classification(emergency=False)


def normalize_dialed(dialed: str) -> str | None:
    """Digits of a plainly typed short number ('+ 9 1 1' -> '911'), or None when it holds anything else."""
    compact = _SEPARATORS.sub("", dialed)
    if compact.startswith("+"):
        compact = compact[1:]
    return compact if compact.isdigit() else None


def valid_country(code: str | None) -> str | None:
    """The upper-cased ISO 3166-1 alpha-2 code, or None when it is not two letters."""
    if code and _COUNTRY.match(code.strip()):
        return code.strip().upper()
    return None


def classify(dialed: str, country: str | None) -> Classification:
    """Decide from the country's numbering rules whether `dialed` is an emergency or test call.

    A trunk prefix is never required ('911' is enough) and never mistaken ('9911', '1911', '9,911' are not 911).
    With no usable country, or a country ACS does not support, any number that ACS treats as emergency somewhere
    still counts (the dial must never lose its emergency handling because the browser's location was wrong).
    """
    digits = normalize_dialed(dialed)
    if digits is None:
        return NOT_EMERGENCY
    code = valid_country(country)
    supported = code in SUPPORTED_COUNTRIES
    if code is not None and digits in TEST_NUMBERS.get(code, frozenset()):
        return Classification(True, test=True, number=digits, country=code, country_supported=supported)
    shortnumberinfo = _phonenumbers().shortnumberinfo
    if code is not None and supported:
        if digits in ACS_EMERGENCY_NUMBERS[code] and shortnumberinfo.is_emergency_number(digits, code):
            return Classification(True, number=digits, country=code, country_supported=True)
        return NOT_EMERGENCY
    local = code is not None and shortnumberinfo.is_emergency_number(digits, code)
    if digits in _ALL_EMERGENCY or local:
        return Classification(True, number=digits, country=code, country_supported=False)
    return NOT_EMERGENCY


def to_e164(raw: str, region: str | None = None) -> str:
    """Parse a phone number into E.164; raise ValueError with our own reason (never the library's text) when it is
    not one. Only digits and visual separators are allowed: an extension or a letter is refused, never dropped
    ("+12025550199x" is not +12025550199). Without `region`, the number must start with + and its country code."""
    text = raw.strip()
    stray = next((ch for i, ch in enumerate(text) if ch not in _NUMBER_CHARS and (ch != "+" or i > 0)), None)
    if stray is not None:
        why = " (an extension or a pause cannot receive a callback)" if stray.lower() in _EXTENSION_MARKS else ""
        raise ValueError(f"may hold only digits, spaces and - . ( ) after the +, not “{stray}”{why}")
    if region is None and not text.startswith("+"):
        raise ValueError("must start with + and the country calling code, e.g. +1 202 555 0100")
    phonenumbers = _phonenumbers()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_parse_reason(exc.error_type)) from None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValueError(_possible_reason(possible, parsed.country_code))
    e164: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if normalize_dialed(e164) in _ALL_EMERGENCY:
        raise ValueError("is an emergency number, which cannot be used here")
    return e164


_NUMBER_CHARS = frozenset("0123456789 -.()/\u00a0")
_EXTENSION_MARKS = frozenset("x;,#*pwe")
# Our words for phonenumbers' NumberParseException.error_type and ValidationResult, by their names.
_PARSE_REASONS = {"INVALID_COUNTRY_CODE": "starts with + and a country calling code that does not exist",
                  "TOO_SHORT_AFTER_IDD": "is too short to be a phone number",
                  "TOO_SHORT_NSN": "is too short to be a phone number", "TOO_LONG": "is too long to be a phone number"}


def _parse_reason(error_type: int) -> str:
    kinds = _phonenumbers().NumberParseException
    names = [name for name in _PARSE_REASONS if getattr(kinds, name, None) == error_type]
    return _PARSE_REASONS[names[0]] if names else "is not a phone number"


def _possible_reason(result: int, country_code: int) -> str:
    results = _phonenumbers().ValidationResult
    if result == results.INVALID_COUNTRY_CODE:
        return "starts with + and a country calling code that does not exist"
    if result == results.TOO_SHORT:
        return f"has too few digits for a phone number of +{country_code}"
    if result == results.TOO_LONG:
        return f"has too many digits for a phone number of +{country_code}"
    return f"does not have as many digits as a phone number of +{country_code}"


def pool_region(e164: str) -> str:
    """Pool partition of a number: its country calling code ('1' for NANP: US, PR and CA share numbers)."""
    return str(_phonenumbers().parse(e164, None).country_code)


def region_for_country(country: str) -> str | None:
    """Pool partition that serves callbacks for an ISO country ('US' -> '1'), or None if unknown."""
    calling_code = _phonenumbers().country_code_for_region(country.upper())
    return str(calling_code) if calling_code else None


def mask_phone(number: str | None) -> str:
    """Last four digits only, for logs."""
    if not number:
        return "<none>"
    digits = "".join(ch for ch in number if ch.isdigit())
    return "***" + digits[-4:] if len(digits) > 4 else "***"
