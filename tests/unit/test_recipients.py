"""Unit tests for shared.domain.recipients: admin-typed email and SMS recipient lists, and log masking."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.domain.numbers import mask_phone
from shared.domain.recipients import (
    MAX_RECIPIENTS,
    ItemError,
    RecipientListError,
    mask_email,
    parse_email_recipients,
    parse_sms_recipients,
)


def _refusal(parse: Callable[[str], tuple[str, ...]], raw: str) -> RecipientListError:
    """The RecipientListError that parsing `raw` raises."""
    with pytest.raises(RecipientListError) as info:
        parse(raw)
    return info.value


# --- email ---------------------------------------------------------------------------------------------------------


def test_given_blank_items_and_trailing_separator_when_parsing_emails_then_only_the_addresses_remain() -> None:
    assert parse_email_recipients(" a@x.com; ;b@y.org;") == ("a@x.com", "b@y.org")


@pytest.mark.parametrize("raw", ["", "   ", ";", " ; ;; "])
def test_given_no_addresses_when_parsing_emails_then_the_result_is_empty(raw: str) -> None:
    assert parse_email_recipients(raw) == ()


def test_given_a_bad_item_when_parsing_emails_then_the_error_names_it_and_its_position() -> None:
    error = _refusal(parse_email_recipients, "a@x.com; bad@; b@y.org")

    assert [(e.item, e.position) for e in error.errors] == [("bad@", 2)]
    assert error.errors[0].reason
    assert "bad@" in str(error)


def test_given_several_bad_items_when_parsing_emails_then_every_one_is_reported_in_order() -> None:
    error = _refusal(parse_email_recipients, "nobody; ok@example.com; ; @example.org; x@localhost")

    assert [(e.item, e.position) for e in error.errors] == [("nobody", 1), ("@example.org", 3), ("x@localhost", 4)]
    assert all(e.item in str(error) for e in error.errors)


def test_given_commas_as_separators_when_parsing_emails_then_the_reason_says_to_use_semicolons() -> None:
    error = _refusal(parse_email_recipients, "a@x.com, b@y.org")

    assert len(error.errors) == 1
    assert error.errors[0].item == "a@x.com, b@y.org"
    assert "semicolon" in error.errors[0].reason


def test_given_the_same_address_in_different_case_when_parsing_emails_then_the_first_spelling_is_kept_once() -> None:
    raw = "Alice@example.com; bob@example.org; alice@EXAMPLE.com; ALICE@example.com"

    assert parse_email_recipients(raw) == ("Alice@example.com", "bob@example.org")


def test_given_an_upper_case_domain_when_parsing_emails_then_the_normalized_address_is_returned() -> None:
    assert parse_email_recipients("  bob@EXAMPLE.ORG ") == ("bob@example.org",)


def test_given_a_display_name_when_parsing_emails_then_it_is_refused() -> None:
    error = _refusal(parse_email_recipients, "Alice <alice@example.com>")

    assert error.errors[0].position == 1


def test_given_exactly_the_maximum_when_parsing_emails_then_all_are_accepted() -> None:
    raw = ";".join(f"user{i}@example.com" for i in range(MAX_RECIPIENTS))

    assert len(parse_email_recipients(raw)) == MAX_RECIPIENTS


def test_given_one_more_than_the_maximum_when_parsing_emails_then_the_list_is_refused() -> None:
    raw = ";".join(f"user{i}@example.com" for i in range(MAX_RECIPIENTS + 1))

    error = _refusal(parse_email_recipients, raw)

    assert "at most 50" in error.errors[-1].reason


def test_given_duplicates_beyond_the_maximum_when_parsing_emails_then_only_distinct_addresses_count() -> None:
    raw = ";".join(f"user{i % MAX_RECIPIENTS}@example.com" for i in range(MAX_RECIPIENTS + 10))

    assert len(parse_email_recipients(raw)) == MAX_RECIPIENTS


def test_given_a_refused_list_when_catching_value_error_then_it_is_caught() -> None:
    with pytest.raises(ValueError):
        parse_email_recipients("bad@")


def test_given_an_item_error_when_compared_then_it_is_a_value() -> None:
    assert ItemError("bad@", 2, "why") == ItemError("bad@", 2, "why")


# --- SMS -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["+12025550142", "+1 202 555 0142", "+1 (202) 555-0142", " +1-202-555-0142 "])
def test_given_an_international_number_when_parsing_sms_then_it_comes_back_in_e164(raw: str) -> None:
    assert parse_sms_recipients(raw) == ("+12025550142",)


def test_given_blank_items_and_repeats_when_parsing_sms_then_distinct_numbers_remain_in_order() -> None:
    raw = " +1 202 555 0142; ;+1 312 555 0199; +12025550142;"

    assert parse_sms_recipients(raw) == ("+12025550142", "+13125550199")


@pytest.mark.parametrize(
    "code", ["911", "+1 911", "+1911", "112", "+45 112", "999", "+44 999", "000", "+61 000", "933"]
)
def test_given_an_emergency_short_code_when_parsing_sms_then_it_is_refused(code: str) -> None:
    error = _refusal(parse_sms_recipients, f"+12025550142; {code}")

    assert [(e.item, e.position) for e in error.errors] == [(code, 2)]
    assert "emergency" in error.errors[0].reason


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("2025550142", "+"),  # no country code: region None requires a leading +
        ("+1 202 555 01", "digits"),  # too short
        ("+1 555 555 0100", "valid"),  # 555 is not an assigned area code
        ("+1 call me", "not a phone number"),
        ("+1 202 555 0142 ext. 12", "extension"),
        ("+12025550142, +13125550199", "semicolon"),
    ],
)
def test_given_a_bad_number_when_parsing_sms_then_the_reason_explains_it(raw: str, reason_part: str) -> None:
    error = _refusal(parse_sms_recipients, raw)

    assert len(error.errors) == 1
    assert reason_part in error.errors[0].reason


def test_given_one_more_than_the_maximum_when_parsing_sms_then_the_list_is_refused() -> None:
    raw = ";".join(f"+1202555{100 + i:04d}" for i in range(MAX_RECIPIENTS + 1))

    error = _refusal(parse_sms_recipients, raw)

    assert "at most 50" in error.errors[-1].reason


# --- masking -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("addr", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("a@example.org", "a***@example.org"),
        (" bob@example.com ", "b***@example.com"),
        ("not-an-address", "***"),
        ("@example.com", "***"),
        ("", "***"),
    ],
)
def test_given_an_address_when_masking_then_only_the_first_letter_and_domain_show(addr: str, masked: str) -> None:
    assert mask_email(addr) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+12025550142", "***0142"), ("+1 (202) 555-0199", "***0199"), ("911", "***"), ("", "<none>")],
)
def test_given_a_number_when_masking_then_only_the_last_four_digits_show(number: str, masked: str) -> None:
    assert mask_phone(number) == masked
