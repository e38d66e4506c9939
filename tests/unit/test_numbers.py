"""Which dialed strings are emergency calls, per country: the table of what agents really type."""

from __future__ import annotations

import pytest
from phonenumbers import shortnumberinfo

from shared.domain.numbers import (
    ACS_EMERGENCY_NUMBERS,
    classify,
    mask_phone,
    normalize_dialed,
    pool_region,
    region_for_country,
    to_e164,
)

CASES = [
    # dialed, country, emergency, test, number
    ("911", "US", True, False, "911"),
    (" 9 1 1 ", "US", True, False, "911"),
    ("+911", "US", True, False, "911"),
    ("9-1-1", "US", True, False, "911"),
    ("911", "us", True, False, "911"),
    ("911", "PR", True, False, "911"),
    ("911", "CA", True, False, "911"),
    ("933", "US", True, True, "933"),
    ("933", "CA", False, False, None),
    ("9911", "US", False, False, None),  # a trunk prefix is never needed, and 9911 is not 911
    ("9,911", "US", False, False, None),  # prefix and pause: not a plain 911
    ("1911", "US", False, False, None),
    ("91", "US", False, False, None),
    ("9111", "US", False, False, None),
    ("*911", "US", False, False, None),
    ("112", "US", False, False, None),  # ACS places 911 only in the US
    ("112", "DK", True, False, "112"),
    ("911", "DK", False, False, None),
    ("999", "GB", True, False, "999"),
    ("112", "GB", True, False, "112"),
    ("000", "AU", True, False, "000"),
    ("112", "AU", False, False, None),
    ("+1 202 555 0123", "US", False, False, None),
    ("2025550123", "US", False, False, None),
    ("", "US", False, False, None),
    ("abc", "US", False, False, None),
    # no usable location: any number ACS treats as emergency somewhere still counts
    ("911", None, True, False, "911"),
    ("112", "", True, False, "112"),
    ("911", "USA", True, False, "911"),
    ("112", "FR", True, False, "112"),
    ("933", None, False, False, None),
]


@pytest.mark.parametrize(("dialed", "country", "emergency", "test", "number"), CASES)
def test_classification_table(dialed: str, country: str | None, emergency: bool, test: bool,
                              number: str | None) -> None:
    c = classify(dialed, country)
    assert (c.emergency, c.test, c.number) == (emergency, test, number)


def test_supported_country_is_reported_and_unsupported_is_not() -> None:
    assert classify("911", "US").country_supported is True
    assert classify("112", "FR").country_supported is False
    assert classify("112", "FR").country == "FR"


def test_every_acs_number_is_an_emergency_number_in_the_country_numbering_plan() -> None:
    for country, numbers in ACS_EMERGENCY_NUMBERS.items():
        for n in numbers:
            assert shortnumberinfo.is_emergency_number(n, country), (country, n)


@pytest.mark.parametrize(("raw", "expected"), [("+ 9 1 1", "911"), ("(911)", "911"), ("9,911", None),
                                                ("911#", None), ("", None)])
def test_normalize_dialed(raw: str, expected: str | None) -> None:
    assert normalize_dialed(raw) == expected


def test_to_e164_parses_formatted_numbers() -> None:
    assert to_e164("+1 (202) 555-0123") == "+12025550123"
    assert to_e164("202-555-0123", "US") == "+12025550123"


@pytest.mark.parametrize("raw", ["12", "not a number", "+1 911", "+61 000"])
def test_to_e164_refuses_bad_and_emergency_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        to_e164(raw)


def test_pool_regions_follow_calling_codes() -> None:
    assert pool_region("+12025550123") == "1"
    assert pool_region("+17875550123") == "1"
    assert region_for_country("PR") == "1"
    assert region_for_country("GB") == "44"
    assert region_for_country("DK") == "45"
    assert region_for_country("AU") == "61"


def test_mask_phone_keeps_last_four_digits() -> None:
    assert mask_phone("+12025550123") == "***0123"
    assert mask_phone(None) == "<none>"
