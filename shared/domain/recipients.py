"""Notification recipients typed by administrators: parse, validate, normalise and mask them for logs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # both load on first use: indexing the app stays as cheap as azure.functions
    import phonenumbers

MAX_RECIPIENTS = 50  # ACS Email refuses a message with more than 50 recipients; SMS uses the same cap.
SEPARATOR = ";"
# ACS-supported emergency numbers and the US test number: an SMS to them is never what the admin meant.
EMERGENCY_SHORT_CODES = frozenset({"911", "112", "999", "000", "933"})
_MAX_COUNTRY_CODE_DIGITS = 3
_E164_MAX_DIGITS = 15
_E164_MIN_DIGITS = 8  # shorter international numbers are short codes or typos, not mobiles


@dataclass(frozen=True)
class ItemError:
    """One refused item: its text, its 1-based position among non-empty items, and why."""

    item: str
    position: int
    reason: str

    def describe(self) -> str:
        """Human-readable one-liner naming the item and its position."""
        return f"#{self.position} {self.item!r}: {self.reason}"


class RecipientListError(ValueError):
    """A recipient list was refused; `.errors` names every bad item (safe to return to the admin as a 400)."""

    def __init__(self, errors: tuple[ItemError, ...]) -> None:
        self.errors = errors
        super().__init__("invalid recipient list: " + "; ".join(e.describe() for e in errors))


class _ItemRefused(ValueError):
    """Internal: one item failed validation; the message is the reason shown to the admin."""


def parse_email_recipients(raw: str) -> tuple[str, ...]:
    """Semicolon-separated addresses -> normalised, de-duplicated (case-insensitive) tuple; RecipientListError."""
    return _parse_list(raw, _normalise_email)


def parse_sms_recipients(raw: str) -> tuple[str, ...]:
    """Semicolon-separated international numbers (+ required) -> E.164 tuple, de-duplicated; RecipientListError."""
    return _parse_list(raw, _normalise_phone)


def mask_email(addr: str) -> str:
    """'alice@example.com' -> 'a***@example.com' for logs; anything without '@' -> '***'."""
    local, at, domain = addr.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def _parse_list(raw: str, normalise: Callable[[str], str]) -> tuple[str, ...]:
    """Split on ';', skip blanks, normalise each item, fold duplicates, enforce the cap; raise on any bad item."""
    items = [part.strip() for part in raw.split(SEPARATOR) if part.strip()]
    errors: list[ItemError] = []
    seen: dict[str, str] = {}
    for position, item in enumerate(items, start=1):
        try:
            value = normalise(item)
        except _ItemRefused as exc:
            errors.append(ItemError(item=item, position=position, reason=str(exc)))
            continue
        seen.setdefault(value.casefold(), value)
    if len(seen) > MAX_RECIPIENTS:
        errors.append(_too_many(items, len(seen)))
    if errors:
        raise RecipientListError(tuple(errors))
    return tuple(seen.values())


def _too_many(items: list[str], count: int) -> ItemError:
    """The error for a list over the cap, pointing at the last item."""
    reason = f"too many recipients: at most {MAX_RECIPIENTS} allowed, got {count}"
    return ItemError(item=items[-1], position=len(items), reason=reason)


def _refuse_commas(item: str) -> None:
    """Commas are the usual mistake for the separator: say so instead of a cryptic syntax error."""
    if "," in item:
        raise _ItemRefused("contains a comma: separate recipients with semicolons (;), not commas")


def _normalise_email(item: str) -> str:
    """Validate one address syntactically (no DNS lookup) and return the library's normalised form."""
    from email_validator import EmailNotValidError, validate_email

    _refuse_commas(item)
    try:
        return validate_email(item, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _ItemRefused(str(exc)) from exc


def _normalise_phone(item: str) -> str:
    """Validate one international number and return it in E.164.

    Uses `is_valid_number` (the library's numbering plans), which accepts the fictional NANP 555-0100..0199 range
    used in tests and samples (checked with phonenumbers 9.0.43) and catches typos `is_possible_number` lets through.
    """
    import phonenumbers

    _refuse_commas(item)
    if _is_emergency_code(item):
        raise _ItemRefused("is an emergency number; it can never receive notifications")
    if not item.startswith("+"):
        raise _ItemRefused("must be in international format starting with + and the country code, e.g. +12025550142")
    try:
        number = phonenumbers.parse(item, None)
    except phonenumbers.NumberParseException as exc:
        raise _ItemRefused("is not a phone number") from exc
    return _check_number(number)


def _check_number(number: phonenumbers.PhoneNumber) -> str:
    """Refuse extensions, impossible or unassigned numbers; return E.164."""
    import phonenumbers

    if number.extension:
        raise _ItemRefused("has an extension; SMS cannot reach an extension")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not _E164_MIN_DIGITS <= len(e164) - 1 <= _E164_MAX_DIGITS or not phonenumbers.is_possible_number(number):
        raise _ItemRefused("has the wrong number of digits for its country")
    if not phonenumbers.is_valid_number(number):
        raise _ItemRefused("is not a valid number in its country's numbering plan")
    return e164


def _is_emergency_code(item: str) -> bool:
    """True for '911', '+1 911', '+61000' and the like: an emergency code, alone or after a country code."""
    digits = re.sub(r"\D", "", item)
    return any(
        digits.endswith(code) and len(digits) <= len(code) + _MAX_COUNTRY_CODE_DIGITS for code in EMERGENCY_SHORT_CODES
    )
